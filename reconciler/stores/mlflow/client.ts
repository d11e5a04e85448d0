import { authorizationHeader, MLFLOW_DEFAULTS, mlflowConfigFromEnv, parseTrackingUri, type MlflowAuth, type MlflowConfig } from './config.js';
import { MlflowError } from './errors.js';
import {
  modelVersionFromWire,
  registeredModelFromWire,
  tagsToWire,
  type ModelVersion,
  type RegisteredModel,
  type SearchModelVersionsPage,
  type SearchModelVersionsRequest,
  type Tags,
  type WireModelVersion,
  type WireRegisteredModel,
} from './types.js';

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
}

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
 * A typed client of MLflow's REST API (`/api/2.0/mlflow/…`) over fetch: auth from the MLflow
 * environment variables, a timeout per attempt, retries with exponential backoff on 429, 5xx and
 * network errors, and every failure as an MlflowError with MLflow's `error_code`.
 */
export class MlflowClient {
  /** Base URL without credentials, for messages. */
  readonly trackingUri: string;
  private readonly auth: MlflowAuth;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly signal: AbortSignal | undefined;

  constructor(opts: MlflowClientOptions) {
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
  }

  static fromConfig(config: MlflowConfig, extra: Pick<MlflowClientOptions, 'fetch' | 'sleep' | 'signal'> = {}): MlflowClient {
    return new MlflowClient({ ...config, ...extra });
  }

  /** A client for the server the environment names; undefined when MLFLOW_TRACKING_URI is unset. */
  static fromEnv(env: NodeJS.ProcessEnv, extra: Pick<MlflowClientOptions, 'fetch' | 'sleep' | 'signal'> = {}): MlflowClient | undefined {
    const config = mlflowConfigFromEnv(env);
    return config ? MlflowClient.fromConfig(config, extra) : undefined;
  }

  // ---- registered models ----------------------------------------------------------------------

  /** The registered model, or undefined when MLflow says it does not exist. */
  async getRegisteredModel(name: string): Promise<RegisteredModel | undefined> {
    try {
      const r = await this.request<{ registered_model: WireRegisteredModel }>('GET', 'registered-models/get', { query: { name }, idempotent: true });
      return registeredModelFromWire(r.registered_model);
    } catch (e) {
      if (e instanceof MlflowError && e.isNotFound) return undefined;
      throw e;
    }
  }

  /** Create a registered model; MLflow answers RESOURCE_ALREADY_EXISTS (HTTP 400) for a taken name. */
  async createRegisteredModel(input: { name: string; description?: string; tags?: Tags }): Promise<RegisteredModel> {
    const r = await this.request<{ registered_model: WireRegisteredModel }>('POST', 'registered-models/create', {
      body: { name: input.name, description: input.description, tags: tagsToWire(input.tags) },
      // A repeated create fails with RESOURCE_ALREADY_EXISTS rather than duplicating: harmless.
      idempotent: true,
    });
    return registeredModelFromWire(r.registered_model);
  }

  /** Change a registered model's description. */
  async updateRegisteredModel(input: { name: string; description: string }): Promise<RegisteredModel> {
    const r = await this.request<{ registered_model: WireRegisteredModel }>('PATCH', 'registered-models/update', { body: input, idempotent: true });
    return registeredModelFromWire(r.registered_model);
  }

  async setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    await this.request('POST', 'registered-models/set-tag', { body: { name, key, value }, idempotent: true });
  }

  // ---- model versions -------------------------------------------------------------------------

  /** One page of model versions matching a filter. */
  async searchModelVersions(req: SearchModelVersionsRequest = {}): Promise<SearchModelVersionsPage> {
    const r = await this.request<{ model_versions?: WireModelVersion[]; next_page_token?: string }>('GET', 'model-versions/search', {
      query: { filter: req.filter, max_results: req.maxResults, order_by: req.orderBy, page_token: req.pageToken },
      idempotent: true,
    });
    return { modelVersions: (r.model_versions ?? []).map(modelVersionFromWire), nextPageToken: r.next_page_token || undefined };
  }

  /** Every model version matching a filter, following page tokens (at most maxPages pages). */
  async searchAllModelVersions(req: Omit<SearchModelVersionsRequest, 'pageToken'> & { maxPages?: number } = {}): Promise<ModelVersion[]> {
    const out: ModelVersion[] = [];
    let pageToken: string | undefined;
    const maxPages = req.maxPages ?? 1000;
    for (let page = 0; page < maxPages; page++) {
      const r = await this.searchModelVersions({ filter: req.filter, maxResults: req.maxResults, orderBy: req.orderBy, pageToken });
      out.push(...r.modelVersions);
      if (!r.nextPageToken) return out;
      pageToken = r.nextPageToken;
    }
    throw new MlflowError(`MLflow model-version search for ${JSON.stringify(req.filter ?? '')} did not end after ${maxPages} pages`, 'INVALID_STATE', 0, 'GET /api/2.0/mlflow/model-versions/search');
  }

  /** Create a new version of a registered model (not idempotent: each call makes a version). */
  async createModelVersion(input: { name: string; source: string; description?: string; runId?: string; runLink?: string; tags?: Tags }): Promise<ModelVersion> {
    const r = await this.request<{ model_version: WireModelVersion }>('POST', 'model-versions/create', {
      body: { name: input.name, source: input.source, description: input.description, run_id: input.runId, run_link: input.runLink, tags: tagsToWire(input.tags) },
      idempotent: false,
    });
    return modelVersionFromWire(r.model_version);
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    await this.request('POST', 'model-versions/set-tag', { body: { name, version, key, value }, idempotent: true });
  }

  // ---- aliases --------------------------------------------------------------------------------

  /** Point alias at version (moving it if it points elsewhere). */
  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.request('POST', 'registered-models/alias', { body: { name, alias, version }, idempotent: true });
  }

  /**
   * The version an alias points at, or undefined when the alias (or the model) does not exist.
   * MLflow answers a missing alias with INVALID_PARAMETER_VALUE ("… alias X not found."), not 404.
   */
  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion | undefined> {
    try {
      const r = await this.request<{ model_version: WireModelVersion }>('GET', 'registered-models/alias', { query: { name, alias }, idempotent: true });
      return modelVersionFromWire(r.model_version);
    } catch (e) {
      if (e instanceof MlflowError && (e.isNotFound || (e.code === 'INVALID_PARAMETER_VALUE' && /alias .* not found/i.test(e.message)))) return undefined;
      throw e;
    }
  }

  // ---- transport ------------------------------------------------------------------------------

  /** Call any endpoint under /api/2.0/mlflow/ with retries; resolves to the parsed JSON answer. */
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
    for (let attempt = 0; ; attempt++) {
      cancel?.throwIfAborted();
      try {
        return await this.attempt<T>(method, url, endpoint, { ...opts, signal: cancel });
      } catch (e) {
        if (!(e instanceof MlflowError) || attempt >= this.maxRetries || cancel?.aborted) throw e;
        const safe = opts.idempotent || e.unsent || e.status === 429 || e.status === 503;
        if (!e.retryable || !safe) throw e;
        const backoff = Math.min(this.backoffMs * 2 ** attempt, this.maxBackoffMs) * (0.5 + Math.random() * 0.5);
        await this.sleep(e.retryAfterMs !== undefined ? Math.min(e.retryAfterMs, Math.max(this.maxBackoffMs, 30_000)) : backoff);
      }
    }
  }

  private async attempt<T>(method: string, url: URL, endpoint: string, opts: RequestOptions): Promise<T> {
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
