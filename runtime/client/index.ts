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

export interface LabctlClientOptions {
  /** Runtime URL, e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
  timeoutMs?: number;
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

  constructor(private readonly opts: LabctlClientOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.fetchFn = opts.fetch ?? fetch;
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

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await this.fetchFn(`${this.base}${path}`, {
      method,
      headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...this.opts.headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000),
    });
    this.observe(res.headers.get('x-labctl-revision'));
    const data = (await res.json().catch(() => null)) as (T & { error?: { code: string; message: string; variable?: string } }) | null;
    if (!res.ok || data === null) {
      const err = data?.error;
      throw new LabctlError(res.status, err?.code ?? 'http_error', err?.message ?? `HTTP ${res.status} from ${path}`, err?.variable);
    }
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
}
