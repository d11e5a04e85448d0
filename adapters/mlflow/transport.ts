import pLimit, { type LimitFunction } from 'p-limit';
import { authorizationHeader, MLFLOW_DEFAULTS, parseTrackingUri, type MlflowAuth } from './config.js';
import { MlflowError } from './errors.js';
import { Backoff } from '../../core/retry.js';

/*
 * The transport under MlflowClient: URL building, auth, a timeout per attempt, retries with backoff,
 * error mapping, the concurrency limiter and request accounting. The endpoints live in client.ts.
 */

export interface MlflowClientOptions {
  /** Base URL of the tracking server (credentials in it become Basic auth unless auth is given). */
  trackingUri: string;
  auth?: MlflowAuth;
  timeoutMs?: number;
  maxRetries?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  /** For tests and instrumentation; the global fetch by default. */
  fetch?: typeof fetch;
  /** For tests: how to wait between retries. */
  sleep?: (ms: number) => Promise<void>;
  /** Cancels every request of this client (and its backoff waits), e.g. when a watcher stops. */
  signal?: AbortSignal;
  /**
   * HTTP requests of this client in flight at once (default 8); more wait for a free slot. Each
   * attempt takes a slot, a retry's backoff wait does not.
   */
  concurrency?: number;
}

/** HTTP attempts a client made (retries included), for benchmarks and tests. */
export interface MlflowRequestStats {
  requests: number;
  /** Attempts per `METHOD /api/2.0/mlflow/path`. */
  byEndpoint: Record<string, number>;
}

/** Options of the client that are not MLflow settings (fromConfig / fromEnv take these). */
export type MlflowClientExtras = Pick<MlflowClientOptions, 'fetch' | 'sleep' | 'signal' | 'concurrency'>;

export const DEFAULT_CONCURRENCY = 8;

export interface RequestOptions {
  query?: Record<string, string | number | readonly string[] | undefined>;
  body?: unknown;
  /**
   * Whether repeating the request after an unclear failure (a 5xx, a timeout, a dropped connection)
   * is harmless. Requests that are not are retried only when the server surely did not act on them
   * (429, 503, or a connection that never opened).
   */
  idempotent: boolean;
  signal?: AbortSignal;
}

/** Network error codes that mean the request never left this machine. */
const UNSENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

const API_PREFIX = 'api/2.0/mlflow/';

/** setTimeout as a promise that settles early (rejecting) when signal aborts. */
function abortableSleep(signal: AbortSignal | undefined): (ms: number) => Promise<void> {
  return (ms) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
}

function isTimeout(e: unknown): boolean {
  return (e as { name?: string } | null)?.name === 'TimeoutError';
}

/** The innermost `code` and message of a fetch failure (undici nests the socket error as cause). */
function networkCause(e: unknown): { code?: string; message: string } {
  let cur = e as { cause?: unknown; code?: unknown; message?: string } | undefined;
  let found: { code?: string; message: string } = { message: (e as Error)?.message ?? String(e) };
  for (let i = 0; cur && i < 5; i++) {
    if (typeof cur.code === 'string') found = { code: cur.code, message: cur.message ?? found.message };
    else if (cur !== e && cur.message) found = { ...found, message: cur.message };
    cur = cur.cause as typeof cur;
  }
  return found;
}

/** A short, one-line excerpt of a non-JSON body: an HTML page's title, else its text. */
function excerpt(text: string): string {
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(text)?.[1];
  const plain = (title ?? text.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim();
  return plain.length > 120 ? `${plain.slice(0, 117)}…` : plain;
}

function retryAfter(res: Response): number | undefined {
  const h = res.headers.get('retry-after');
  if (!h) return undefined;
  const s = Number(h);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const at = Date.parse(h);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

/**
 * Settle with p, or reject with signal's reason as soon as it aborts (p is then left to settle on
 * its own, its outcome ignored).
 */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** HTTP to MLflow's REST API: retries, limits and errors shared by every endpoint (see MlflowClient). */
export class MlflowTransport {
  /** Base URL without credentials, for messages. */
  readonly trackingUri: string;
  protected readonly auth: MlflowAuth;
  protected readonly timeoutMs: number;
  protected readonly maxRetries: number;
  protected readonly backoffMs: number;
  protected readonly maxBackoffMs: number;
  protected readonly fetchImpl: typeof fetch;
  protected readonly sleep: (ms: number) => Promise<void>;
  protected readonly signal: AbortSignal | undefined;
  protected readonly limit: LimitFunction;
  protected requestCount = 0;
  protected byEndpoint: Record<string, number> = {};

  constructor(opts: MlflowClientOptions) {
    const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
    if (!(concurrency === Infinity || (Number.isInteger(concurrency) && concurrency >= 1))) {
      throw new MlflowError(`MLflow client concurrency must be a whole number of at least 1, not ${concurrency}`, 'INVALID_CONFIG', 0);
    }
    const { base, userinfo } = parseTrackingUri(opts.trackingUri);
    this.trackingUri = base;
    this.auth = opts.auth ?? (userinfo ? { kind: 'basic', ...userinfo } : { kind: 'none' });
    this.timeoutMs = opts.timeoutMs ?? MLFLOW_DEFAULTS.timeoutMs;
    this.maxRetries = opts.maxRetries ?? MLFLOW_DEFAULTS.maxRetries;
    this.backoffMs = opts.backoffMs ?? MLFLOW_DEFAULTS.backoffMs;
    this.maxBackoffMs = opts.maxBackoffMs ?? MLFLOW_DEFAULTS.maxBackoffMs;
    this.fetchImpl = opts.fetch ?? fetch;
    this.sleep = opts.sleep ?? abortableSleep(opts.signal);
    this.signal = opts.signal;
    this.limit = pLimit(concurrency);
  }

  // ---- accounting -----------------------------------------------------------------------------

  /** HTTP attempts so far (retries included), per `METHOD /api/2.0/mlflow/path`; a copy. */
  get stats(): MlflowRequestStats {
    return { requests: this.requestCount, byEndpoint: { ...this.byEndpoint } };
  }

  resetStats(): void {
    this.requestCount = 0;
    this.byEndpoint = {};
  }

  /** The most requests this client has in flight at once. */
  get concurrency(): number {
    return this.limit.concurrency;
  }

  // ---- transport ------------------------------------------------------------------------------

  /**
   * Call any endpoint under /api/2.0/mlflow/ with retries; resolves to the parsed JSON answer.
   * Each attempt waits for a slot of the client's limiter; backoff waits hold none.
   */
  async request<T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, opts: RequestOptions): Promise<T> {
    const url = new URL(API_PREFIX + path.replace(/^\//, ''), this.trackingUri);
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v) url.searchParams.append(k, item);
      else url.searchParams.set(k, String(v));
    }
    const endpoint = `${method} /${API_PREFIX}${path.replace(/^\//, '')}`;
    const signals = [opts.signal, this.signal].filter((s): s is AbortSignal => s !== undefined);
    const cancel = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
    const backoff = new Backoff({ initialMs: this.backoffMs, maxMs: this.maxBackoffMs, spread: [0.5, 1] });
    for (let attempt = 0; ; attempt++) {
      cancel?.throwIfAborted();
      try {
        const attempt = this.limit(() => {
          // Queued behind other requests: the caller may have given up meanwhile.
          cancel?.throwIfAborted();
          return this.attempt<T>(method, url, endpoint, { ...opts, signal: cancel });
        });
        return await untilAborted(attempt, cancel);
      } catch (e) {
        if (!(e instanceof MlflowError) || attempt >= this.maxRetries || cancel?.aborted) throw e;
        const safe = opts.idempotent || e.unsent || e.status === 429 || e.status === 503;
        if (!e.retryable || !safe) throw e;
        const delay = backoff.next();
        await this.sleep(e.retryAfterMs !== undefined ? Math.min(e.retryAfterMs, Math.max(this.maxBackoffMs, 30_000)) : delay);
      }
    }
  }

  private async attempt<T>(method: string, url: URL, endpoint: string, opts: RequestOptions): Promise<T> {
    this.requestCount++;
    this.byEndpoint[endpoint] = (this.byEndpoint[endpoint] ?? 0) + 1;
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'labctl' };
    const authorization = authorizationHeader(this.auth);
    if (authorization) headers.authorization = authorization;
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
    const where = `MLflow at ${this.trackingUri}`;
    let res: Response;
    let text: string;
    try {
      res = await this.fetchImpl(url, { method, headers, body, signal });
      text = await res.text();
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      if (isTimeout(e) || timeout.aborted) {
        throw new MlflowError(`${where} did not answer ${endpoint} within ${(this.timeoutMs / 1000).toFixed(this.timeoutMs < 1000 ? 1 : 0)} s`, 'TIMEOUT', 0, endpoint, { cause: e });
      }
      const cause = networkCause(e);
      throw new MlflowError(`cannot reach ${where} (${endpoint}): ${cause.code ? `${cause.code} ` : ''}${cause.message}`, 'NETWORK_ERROR', 0, endpoint, {
        cause: e,
        unsent: cause.code !== undefined && UNSENT_CODES.has(cause.code),
      });
    }
    let json: unknown;
    let isJson = true;
    try {
      json = text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      isJson = false;
    }
    const isObject = isJson && typeof json === 'object' && json !== null && !Array.isArray(json);
    if (res.ok) {
      if (!isObject) {
        throw new MlflowError(
          `${where} answered ${endpoint} with HTTP ${res.status} but not with MLflow JSON (${res.headers.get('content-type') ?? 'no content type'}: "${excerpt(text)}"); is MLFLOW_TRACKING_URI the tracking server, not a proxy's login page or the UI?`,
          'NON_JSON_RESPONSE',
          res.status,
          endpoint,
        );
      }
      return json as T;
    }
    const retryAfterMs = retryAfter(res);
    const obj = isObject ? (json as { error_code?: unknown; message?: unknown }) : undefined;
    if (obj && typeof obj.error_code === 'string') {
      const message = typeof obj.message === 'string' && obj.message ? obj.message : `HTTP ${res.status}`;
      throw new MlflowError(`MLflow ${obj.error_code}: ${message.split('\n')[0]} (${endpoint})`, obj.error_code, res.status, endpoint, { retryAfterMs });
    }
    if (res.status === 401 || res.status === 403) {
      throw new MlflowError(
        `${where} refused ${endpoint} with HTTP ${res.status}${text ? ` ("${excerpt(text)}")` : ''}; set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD`,
        res.status === 401 ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED',
        res.status,
        endpoint,
        { retryAfterMs },
      );
    }
    if (!isJson) {
      throw new MlflowError(
        `${where} answered ${endpoint} with HTTP ${res.status} ${res.statusText} and a non-JSON body (${res.headers.get('content-type') ?? 'no content type'}: "${excerpt(text)}"), not an MLflow error; a proxy or load balancer in front of MLflow may be failing`,
        'NON_JSON_RESPONSE',
        res.status,
        endpoint,
        { retryAfterMs },
      );
    }
    throw new MlflowError(`${where} answered ${endpoint} with HTTP ${res.status} ${res.statusText}: ${excerpt(text)}`, 'HTTP_ERROR', res.status, endpoint, { retryAfterMs });
  }
}
