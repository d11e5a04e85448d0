// labctl/client: a small fetch-based client for applications. No dependencies; Node ≥ 20 or a browser.

/** An assignment as the runtime returns it (docs/runtime.md#get-v1assignexperiment). */
export interface ClientAssignment {
  variant: string | null;
  value: unknown;
  inExperiment: boolean;
  reason: string;
  /** Only when the variant's value references a model (`model: NAME@ALIAS`): the alias resolved to an MLflow version. */
  model?: { name: string; mlflowName: string; alias: string; version: string | null; uri: string | null };
}

/** A prompt definition (GET /v1/prompts/{name}). */
export interface PromptDefinition {
  revision: string;
  name: string;
  version: string;
  type: 'text' | 'chat';
  template?: string;
  messages?: Array<{ role: string; content: string }>;
  variables: Record<string, { type: string; required: boolean; default?: unknown; description?: string }>;
  model: Record<string, unknown> | null;
  tags?: string[];
  description?: string;
}

/** A rendered prompt (POST /v1/prompts/{name}/render). */
export interface RenderedPromptResponse {
  revision: string;
  name: string;
  version: string;
  type: 'text' | 'chat';
  text?: string;
  messages?: Array<{ role: string; content: string }>;
  model: Record<string, unknown> | null;
  assignment?: { experiment: string; variant: string | null; inExperiment: boolean; reason: string };
}

/** An error answer of the runtime: `{"error":{"code","message"}}` with its HTTP status. */
export class LabctlError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly variable?: string) {
    super(message);
    this.name = 'LabctlError';
  }
}

export interface LabctlClientOptions extends TrackOptions {
  /** Runtime URL, e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Sent as `Authorization: Bearer …` (the runtime's LABCTL_INGEST_TOKEN guards /v1/events). */
  token?: string;
}

/**
 * Client for `labctl serve`. Prompt definitions are cached until any answer carries a new revision:
 * the cache follows what is applied, never a TTL.
 */
export class LabctlClient {
  private readonly base: string;
  private readonly fetchFn: typeof fetch;
  private readonly prompts = new Map<string, PromptDefinition>();
  private known: string | undefined;
  private readonly events: EventQueue;

  constructor(private readonly opts: LabctlClientOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.fetchFn = opts.fetch ?? fetch;
    this.events = new EventQueue((body) => this.request('POST', '/v1/events', body), (res) => errorOf(res, '/v1/events'), opts);
  }

  /** The newest revision seen in any answer. */
  get revision(): string | undefined {
    return this.known;
  }

  private observe(revision: string | null | undefined): void {
    if (!revision || revision === this.known) return;
    this.known = revision;
    this.prompts.clear();
  }

  private request(method: 'GET' | 'POST', path: string, body?: string): Promise<Response> {
    return this.fetchFn(`${this.base}${path}`, {
      method,
      headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}), ...this.opts.headers },
      body,
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000),
    });
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await this.request(method, path, body === undefined ? undefined : JSON.stringify(body));
    this.observe(res.headers.get('x-labctl-revision'));
    if (!res.ok) throw await errorOf(res, path);
    const data = (await res.json().catch(() => null)) as T | null;
    if (data === null) throw new LabctlError(res.status, 'http_error', `HTTP ${res.status} from ${path}: not JSON`);
    return data;
  }

  /** Ask the runtime for its revision now (GET /readyz); cached prompts are dropped if it moved. */
  async refresh(): Promise<string | undefined> {
    await this.call<{ revision: string }>('GET', '/readyz');
    return this.known;
  }

  /** Assign one experiment (typed attributes travel as JSON). */
  async assign(experiment: string, attributes: Record<string, unknown>, opts: { log?: boolean } = {}): Promise<ClientAssignment> {
    const r = await this.call<{ revision: string; assignments: Record<string, ClientAssignment> }>('POST', '/v1/assign', { attributes, experiments: [experiment], ...(opts.log === false ? { log: false } : {}) });
    const a = r.assignments[experiment]!;
    if (a.reason === 'unknown_experiment') throw new LabctlError(404, 'unknown_experiment', `experiment "${experiment}" does not exist in revision ${r.revision}`);
    return a;
  }

  /** Assign every running experiment (or the named ones). */
  async assignAll(attributes: Record<string, unknown>, experiments?: string[]): Promise<Record<string, ClientAssignment>> {
    return (await this.call<{ assignments: Record<string, ClientAssignment> }>('POST', '/v1/assign', { attributes, ...(experiments ? { experiments } : {}) })).assignments;
  }

  /** The current definition of a prompt, from the cache while the revision is unchanged. */
  async getPrompt(name: string): Promise<PromptDefinition> {
    const cached = this.prompts.get(name);
    if (cached && cached.revision === this.known) return cached;
    const p = await this.call<PromptDefinition>('GET', `/v1/prompts/${encodeURIComponent(name)}`);
    this.prompts.set(name, p);
    return p;
  }

  /** Render a prompt on the server; with an experiment, the assigned variant's prompt is rendered. */
  renderPrompt(name: string, input: { variables?: Record<string, unknown>; attributes?: Record<string, unknown>; experiment?: string; log?: boolean } = {}): Promise<RenderedPromptResponse> {
    return this.call<RenderedPromptResponse>('POST', `/v1/prompts/${encodeURIComponent(name)}/render`, input);
  }

  /** Queue an event for POST /v1/events (docs/routes/event-logging-route.md): its id, or null when the queue is full. */
  track(event: TrackInput): string | null {
    return this.events.track(event);
  }

  /** Resolves when every event tracked so far is committed, rejected or given up (never rejects). */
  flush(): Promise<void> {
    return this.events.flush();
  }

  /** Refuse new events, send the queued ones (as flush), stop the timer. */
  close(): Promise<void> {
    return this.events.close();
  }

  /** Counters of the event queue since the client was created. */
  get stats(): TrackStats {
    return { queued: this.events.queued, ...this.events.stats };
  }
}

async function errorOf(res: Response, path: string): Promise<LabctlError> {
  const err = ((await res.json().catch(() => null)) as { error?: { code: string; message: string; variable?: string } } | null)?.error;
  return new LabctlError(res.status, err?.code ?? 'http_error', err?.message ?? `HTTP ${res.status} from ${path}`, err?.variable);
}

// ---- Events: a bounded queue sends batches to POST /v1/events and resends a batch with the same ids
// until the runtime answers; the runtime deduplicates by id, so nothing is stored twice. In this
// file because labctl/client imports nothing, not even a sibling module.

/**
 * One event: `event` is the name a Metric counts; `attributes` those sent to /v1/assign (the
 * experiment's `unit` attribute links the event to a unit); `timestamp` (ISO 8601 or a Date) defaults
 * to when track() is called, not when it is sent; `id` (≤ 100 characters) deduplicates the event
 * forever, a random UUID when missing.
 */
export interface TrackInput {
  event: string;
  attributes: Record<string, unknown>;
  value?: number;
  properties?: Record<string, unknown>;
  timestamp?: string | Date;
  id?: string;
}

/** An event as sent: id and timestamp filled in. */
export type TrackedEvent = Omit<TrackInput, 'timestamp' | 'id'> & { id: string; timestamp: string };

/** An event the runtime answered as rejected; never resent. Code and message are the runtime's. */
export interface TrackRejection { event: TrackedEvent; code: string; message: string }

/** A batch given up: a 4xx other than 408/429 (401 for a wrong token), or resent for longer than giveUpAfterMs. */
export interface TrackFailure { error: Error; events: TrackedEvent[] }

/**
 * `batchSize`: events per request, 1–1,000, default 500. `flushIntervalMs`: how long a partial batch
 * waits, default 1,000. `maxQueue`: events held (waiting or in flight) before track() refuses new
 * ones, default 10,000. `maxBatchBytes`: largest body, default 1,000,000 (the runtime takes 1 MiB).
 * `retry`: first delay 250 ms, doubling up to `maxMs` 30 s; a batch is given up after
 * `giveUpAfterMs`, 10 minutes. `onRejected`: events the runtime rejected. `onError`: a batch given up.
 */
export interface TrackOptions {
  batchSize?: number;
  flushIntervalMs?: number;
  maxQueue?: number;
  maxBatchBytes?: number;
  retry?: { initialMs?: number; maxMs?: number; giveUpAfterMs?: number };
  onRejected?: (rejections: TrackRejection[]) => void;
  onError?: (failure: TrackFailure) => void;
}

/**
 * Counters since the client was created. `queued`: waiting or in flight; `duplicates`: ids already
 * stored (the client's own resends after a lost answer included); `dropped`: refused by track()
 * because the queue was full; `failed`: events in batches given up; `requests`: POST /v1/events
 * requests, resends (`retries`) included.
 */
export type TrackStats = Record<'queued' | 'accepted' | 'duplicates' | 'rejected' | 'dropped' | 'failed' | 'requests' | 'retries', number> & { lastError: string | null };

interface Item { event: TrackedEvent; json: string; bytes: number }
interface EventsAnswer { accepted: number; duplicates: number; rejected?: Array<{ index: number; code: string; message: string }> }

const ENVELOPE_BYTES = '{"events":[]}'.length;
const utf8 = new TextEncoder();

/** @internal A Retry-After header (delay-seconds or an HTTP date) in milliseconds, or undefined. */
export function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  const s = header?.trim() ?? '';
  // An HTTP date starts with the day's name; Date.parse alone would take '-1' or '1.5' for dates.
  const at = /^\d+$/.test(s) ? nowMs + Number(s) * 1000 : /^[A-Za-z]/.test(s) ? Date.parse(s) : NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** @internal The wait before the next attempt: the nominal delay with equal jitter (half fixed, half random, so clients that failed together do not retry together), never earlier than Retry-After. */
export function retryDelay(nominalMs: number, retryAfter: number | undefined, random: number): number {
  return Math.max(nominalMs / 2 + (random * nominalMs) / 2, retryAfter ?? 0);
}

/** @internal How many events from the front (their JSON sizes) fit one request of at most batchSize events and maxBytes. */
export function batchLength(sizes: readonly number[], batchSize: number, maxBytes: number): number {
  let bytes = ENVELOPE_BYTES;
  let n = 0;
  for (const size of sizes) {
    if (n >= batchSize || (n > 0 && bytes + size + 1 > maxBytes)) break;
    bytes += size + (n > 0 ? 1 : 0);
    n++;
  }
  return n;
}

/** One batch in flight at a time, so events are sent in track() order. */
class EventQueue {
  private readonly queue: Item[] = [];
  private readonly batchSize: number;
  /** A pump is sending (or waiting to resend); the timer is only armed when none is. */
  private running = false;
  private closed = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Events enqueued, and how many of them are settled (committed, rejected or given up): FIFO, so counts suffice. */
  private enqueued = 0;
  private settled = 0;
  /** Partial batches are sent until this many events are settled (set by flush() and the timer). */
  private dueUpTo = 0;
  private waiters: Array<{ upTo: number; resolve: () => void }> = [];
  readonly stats: Omit<TrackStats, 'queued'> = { accepted: 0, duplicates: 0, rejected: 0, dropped: 0, failed: 0, requests: 0, retries: 0, lastError: null };

  constructor(
    private readonly post: (body: string) => Promise<Response>,
    private readonly errorOf: (res: Response) => Promise<Error>,
    private readonly opts: TrackOptions,
  ) {
    this.batchSize = Math.min(1000, Math.max(1, Math.floor(opts.batchSize ?? 500)));
  }

  get queued(): number {
    return this.enqueued - this.settled;
  }

  track(input: TrackInput): string | null {
    if (this.closed) throw new Error('LabctlClient is closed: track() after close()');
    const { timestamp: t, id, ...rest } = input;
    const event: TrackedEvent = { id: id ?? globalThis.crypto.randomUUID(), ...rest, timestamp: t === undefined ? new Date().toISOString() : t instanceof Date ? t.toISOString() : t };
    // Serialised now, so what is not JSON throws in the caller; a NaN or Infinity value goes as a string for the runtime to reject (JSON would send null).
    const json = JSON.stringify(event, function (this: unknown, k: string, v: unknown) { return this === event && k === 'value' && typeof v === 'number' && !Number.isFinite(v) ? String(v) : v; });
    const bytes = utf8.encode(json).length;
    if (this.queued >= (this.opts.maxQueue ?? 10_000)) {
      // Refusing the newest rather than dropping the oldest: the oldest may be in flight already.
      this.stats.dropped++;
      return null;
    }
    this.queue.push({ event, json, bytes });
    this.enqueued++;
    if (this.full()) this.kick();
    else this.arm();
    return event.id;
  }

  flush(): Promise<void> {
    const upTo = this.enqueued;
    if (this.settled >= upTo) return Promise.resolve();
    this.dueUpTo = Math.max(this.dueUpTo, upTo);
    const done = new Promise<void>((resolve) => this.waiters.push({ upTo, resolve }));
    this.kick();
    return done;
  }

  close(): Promise<void> {
    this.closed = true;
    return this.flush();
  }

  private full(): boolean {
    return this.queue.length >= this.batchSize;
  }

  /** Armed only while events wait, so an idle client never keeps a process alive. */
  private arm(): void {
    if (this.timer || this.running || this.queue.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.dueUpTo = Math.max(this.dueUpTo, this.enqueued);
      this.kick();
    }, this.opts.flushIntervalMs ?? 1000);
  }

  private kick(): void {
    if (this.running) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.running = true;
    void this.pump().finally(() => {
      this.running = false;
      this.arm();
    });
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0 && (this.full() || this.settled < this.dueUpTo)) {
      // Cut by bytes too: an event too large for any request goes alone, and only it fails (413).
      const sizes = this.queue.slice(0, this.batchSize).map((i) => i.bytes);
      const batch = this.queue.splice(0, batchLength(sizes, this.batchSize, this.opts.maxBatchBytes ?? 1_000_000));
      try {
        await this.send(batch);
      } finally {
        this.settled += batch.length;
        const ready = this.waiters.filter((w) => w.upTo <= this.settled);
        this.waiters = this.waiters.filter((w) => w.upTo > this.settled);
        for (const w of ready) w.resolve();
      }
    }
  }

  /** One batch until it is answered, resent with the same body (the same ids) after no answer, 408, 429 or 5xx. */
  private async send(batch: Item[]): Promise<void> {
    const body = `{"events":[${batch.map((i) => i.json).join(',')}]}`;
    const started = Date.now();
    const { initialMs = 250, maxMs = 30_000, giveUpAfterMs = 600_000 } = this.opts.retry ?? {};
    for (let nominal = initialMs; ; nominal = Math.min(nominal * 2, maxMs)) {
      let error: Error;
      let after: number | undefined;
      this.stats.requests++;
      try {
        const res = await this.post(body);
        if (res.ok) return this.record(batch, (await res.json()) as EventsAnswer);
        error = await this.errorOf(res);
        // 408, 429 and 5xx are worth another attempt; any other answer is final.
        if (res.status !== 408 && res.status !== 429 && res.status < 500) return this.fail(batch, error);
        after = retryAfterMs(res.headers.get('retry-after'), Date.now());
      } catch (e) {
        // No answer (refused, reset, timed out) or an unreadable one: resending the same ids is safe.
        error = e as Error;
      }
      this.stats.lastError = error.message;
      const wait = retryDelay(nominal, after, Math.random());
      if (Date.now() + wait - started > giveUpAfterMs) return this.fail(batch, error);
      this.stats.retries++;
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  private record(batch: Item[], answer: EventsAnswer): void {
    this.stats.accepted += answer.accepted;
    this.stats.duplicates += answer.duplicates;
    const list = (answer.rejected ?? []).flatMap((r) => (batch[r.index] ? [{ event: batch[r.index]!.event, code: r.code, message: r.message }] : []));
    if (list.length === 0) return;
    this.stats.rejected += list.length;
    safely(() => this.opts.onRejected?.(list));
  }

  private fail(batch: Item[], error: Error): void {
    this.stats.failed += batch.length;
    this.stats.lastError = error.message;
    safely(() => this.opts.onError?.({ error, events: batch.map((i) => i.event) }));
  }
}

/** An application callback that throws must not stop the queue. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // Nothing better to do with it here; the queue goes on.
  }
}
