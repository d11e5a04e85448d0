import pLimit, { type LimitFunction } from 'p-limit';
import { authorizationHeader, MLFLOW_DEFAULTS, mlflowConfigFromEnv, parseTrackingUri, type MlflowAuth, type MlflowConfig } from './config.js';
import { MlflowError } from './errors.js';
import {
  doubleToWire,
  experimentFromWire,
  isPromptEntry,
  metricPointFromWire,
  modelVersionFromWire,
  registeredModelFromWire,
  runFromWire,
  tagsToWire,
  type Experiment,
  type LogBatchInput,
  type MetricPoint,
  type ModelVersion,
  type RegisteredModel,
  type Run,
  type RunStatus,
  type SearchModelVersionsPage,
  type SearchModelVersionsRequest,
  type SearchRegisteredModelsPage,
  type SearchRegisteredModelsRequest,
  type Tags,
  type WireExperiment,
  type WireMetric,
  type WireModelVersion,
  type WireRegisteredModel,
  type WireRun,
  type WireTag,
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

/** MLflow's largest page of registered models (search refuses more). */
const REGISTERED_MODELS_PAGE_MAX = 1000;
/** MLflow's GET_METRIC_HISTORY_MAX_RESULTS: the page size its own clients ask for. */
const METRIC_HISTORY_PAGE = 25_000;
/** MLflow's limits per runs/log-batch request. */
const BATCH_MAX_ENTITIES = 1000;
const BATCH_MAX_PARAMS_TAGS = 100;
const TERMINAL_RUN_STATUSES = new Set(['FINISHED', 'FAILED', 'KILLED']);

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

/**
 * A typed client of MLflow's REST API (`/api/2.0/mlflow/…`) over fetch: auth from the MLflow
 * environment variables, a timeout per attempt, retries with exponential backoff on 429, 5xx and
 * network errors, and every failure as an MlflowError with MLflow's `error_code`.
 *
 * The client limits itself: at most `concurrency` (default 8) HTTP requests are in flight at once,
 * the rest queue (a queued request still honours its abort signal). Callers can therefore start
 * many calls with a plain `Promise.all(items.map((i) => client.getRun(i)))` without flooding the
 * server. A retry gives its slot back while it waits out its backoff. Never call the client from a
 * fetch implementation passed to it (that would wait for a slot inside a slot).
 *
 * `stats` counts every HTTP attempt (retries included) per endpoint, for benchmarks.
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
  private readonly limit: LimitFunction;
  private requestCount = 0;
  private byEndpoint: Record<string, number> = {};

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

  static fromConfig(config: MlflowConfig, extra: MlflowClientExtras = {}): MlflowClient {
    return new MlflowClient({ ...config, ...extra });
  }

  /** A client for the server the environment names; undefined when MLFLOW_TRACKING_URI is unset. */
  static fromEnv(env: NodeJS.ProcessEnv, extra: MlflowClientExtras = {}): MlflowClient | undefined {
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

  /** Remove a tag from a registered model; a tag that is not there is fine, a missing model is isNotFound. */
  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    await this.request('DELETE', 'registered-models/delete-tag', { body: { name, key }, idempotent: true });
  }

  /**
   * One page of registered models matching a filter. Prompt entries of the registry (tagged
   * `mlflow.prompt.is_prompt=true`) are never returned: MLflow 3 leaves them out unless the filter
   * asks for that tag, older servers send them, and this drops them either way, so a page can hold
   * fewer than maxResults models while more follow.
   */
  async searchRegisteredModels(req: SearchRegisteredModelsRequest = {}): Promise<SearchRegisteredModelsPage> {
    const r = await this.request<{ registered_models?: WireRegisteredModel[]; next_page_token?: string }>('GET', 'registered-models/search', {
      query: { filter: req.filter, max_results: req.maxResults, order_by: req.orderBy, page_token: req.pageToken },
      idempotent: true,
    });
    const registeredModels = (r.registered_models ?? []).map(registeredModelFromWire).filter((m) => !isPromptEntry(m.tags));
    return { registeredModels, nextPageToken: r.next_page_token || undefined };
  }

  /**
   * Every registered model (not prompt) matching a filter, following page tokens; maxResults is the
   * page size (default and most MLflow allows: 1000), at most maxPages pages.
   */
  async searchAllRegisteredModels(req: Omit<SearchRegisteredModelsRequest, 'pageToken'> & { maxPages?: number } = {}): Promise<RegisteredModel[]> {
    const out: RegisteredModel[] = [];
    let pageToken: string | undefined;
    const maxPages = req.maxPages ?? 1000;
    for (let page = 0; page < maxPages; page++) {
      const r = await this.searchRegisteredModels({ filter: req.filter, maxResults: req.maxResults ?? REGISTERED_MODELS_PAGE_MAX, orderBy: req.orderBy, pageToken });
      out.push(...r.registeredModels);
      if (!r.nextPageToken) return out;
      pageToken = r.nextPageToken;
    }
    throw new MlflowError(`MLflow registered-model search for ${JSON.stringify(req.filter ?? '')} did not end after ${maxPages} pages`, 'INVALID_STATE', 0, 'GET /api/2.0/mlflow/registered-models/search');
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

  /** One version of a registered model, or undefined when it (or the model) does not exist. */
  async getModelVersion(name: string, version: string): Promise<ModelVersion | undefined> {
    try {
      const r = await this.request<{ model_version: WireModelVersion }>('GET', 'model-versions/get', { query: { name, version }, idempotent: true });
      return modelVersionFromWire(r.model_version);
    } catch (e) {
      if (e instanceof MlflowError && e.isNotFound) return undefined;
      throw e;
    }
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    await this.request('POST', 'model-versions/set-tag', { body: { name, version, key, value }, idempotent: true });
  }

  /** Remove a tag from a model version; a tag that is not there is fine, a missing version is isNotFound. */
  async deleteModelVersionTag(name: string, version: string, key: string): Promise<void> {
    await this.request('DELETE', 'model-versions/delete-tag', { body: { name, version, key }, idempotent: true });
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

  /**
   * Remove an alias. Done when it is gone: MLflow answers a missing alias with success and a
   * missing model with RESOURCE_DOES_NOT_EXIST, which counts as done too. A reserved or malformed
   * alias name (`latest`, `v1`) still fails with INVALID_PARAMETER_VALUE.
   */
  async deleteAlias(name: string, alias: string): Promise<void> {
    try {
      await this.request('DELETE', 'registered-models/alias', { body: { name, alias }, idempotent: true });
    } catch (e) {
      if (e instanceof MlflowError && e.isNotFound) return;
      throw e;
    }
  }

  // ---- experiments and runs -------------------------------------------------------------------

  /**
   * Create an experiment and return its id. A taken name (also one of a deleted experiment, which
   * keeps its name) fails with RESOURCE_ALREADY_EXISTS: see MlflowError.isAlreadyExists.
   */
  async createExperiment(name: string, opts: { artifactLocation?: string; tags?: Tags } = {}): Promise<string> {
    const r = await this.request<{ experiment_id: string }>('POST', 'experiments/create', {
      body: { name, artifact_location: opts.artifactLocation, tags: tagsToWire(opts.tags) },
      // A repeated create fails with RESOURCE_ALREADY_EXISTS rather than duplicating: harmless.
      idempotent: true,
    });
    return String(r.experiment_id);
  }

  /** The experiment of that name (also a deleted one: see lifecycleStage), or undefined. */
  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    try {
      const r = await this.request<{ experiment: WireExperiment }>('GET', 'experiments/get-by-name', { query: { experiment_name: name }, idempotent: true });
      return experimentFromWire(r.experiment);
    } catch (e) {
      if (e instanceof MlflowError && e.isNotFound) return undefined;
      throw e;
    }
  }

  /** Start a run (status RUNNING) in an experiment; startTime defaults to now. Not idempotent. */
  async createRun(input: { experimentId: string; startTime?: number; runName?: string; tags?: Tags }): Promise<Run> {
    const r = await this.request<{ run: WireRun }>('POST', 'runs/create', {
      body: { experiment_id: input.experimentId, start_time: input.startTime ?? Date.now(), run_name: input.runName, tags: tagsToWire(input.tags) },
      idempotent: false,
    });
    return runFromWire(r.run);
  }

  /** The run with the latest value of each metric, its params and tags; undefined when there is no such run. */
  async getRun(runId: string): Promise<Run | undefined> {
    try {
      const r = await this.request<{ run: WireRun }>('GET', 'runs/get', { query: { run_id: runId }, idempotent: true });
      return runFromWire(r.run);
    } catch (e) {
      if (e instanceof MlflowError && e.isNotFound) return undefined;
      throw e;
    }
  }

  /**
   * Every logged value of a metric, in MLflow's order (timestamp, step, value), following page
   * tokens. The page size is always sent: MLflow 3.1.1 without max_results answers an empty page
   * whose token points at the same offset again. An unknown run or key gives [] (MLflow does not
   * check that the run exists here).
   */
  async getMetricHistory(runId: string, key: string, opts: { pageSize?: number; maxPages?: number } = {}): Promise<MetricPoint[]> {
    const out: MetricPoint[] = [];
    const maxPages = opts.maxPages ?? 10_000;
    let pageToken: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const r = await this.request<{ metrics?: WireMetric[]; next_page_token?: string }>('GET', 'metrics/get-history', {
        query: { run_id: runId, metric_key: key, max_results: opts.pageSize ?? METRIC_HISTORY_PAGE, page_token: pageToken },
        idempotent: true,
      });
      const points = r.metrics ?? [];
      out.push(...points.map(metricPointFromWire));
      const next = r.next_page_token || undefined;
      if (!next) return out;
      if (points.length === 0 && next === pageToken) {
        throw new MlflowError(`MLflow sent the same empty page of the metric history of ${key} in run ${runId} again`, 'INVALID_STATE', 0, 'GET /api/2.0/mlflow/metrics/get-history');
      }
      pageToken = next;
    }
    throw new MlflowError(`MLflow metric history of ${key} in run ${runId} did not end after ${maxPages} pages`, 'INVALID_STATE', 0, 'GET /api/2.0/mlflow/metrics/get-history');
  }

  /**
   * Log metrics, params and tags to a run, in as many runs/log-batch requests as MLflow's limits
   * per request need (1000 entities, 100 params and 100 tags each). Missing metric timestamps
   * become the time of this call, fixed before sending, so a retried batch logs nothing twice
   * (MLflow skips identical metric points, accepts an unchanged param and overwrites tags).
   * Except with NaN or ±Infinity values: MLflow 3.1.1 fails an identical non-finite point with
   * BAD_REQUEST (a UNIQUE constraint), so such batches are retried only when surely not applied.
   */
  async logBatch(runId: string, input: LogBatchInput): Promise<void> {
    const now = Date.now();
    const repeatable = (input.metrics ?? []).every((m) => Number.isFinite(m.value));
    const metrics = (input.metrics ?? []).map((m) => ({ key: m.key, value: doubleToWire(m.value), timestamp: m.timestamp ?? now, step: m.step ?? 0 }));
    const params = tagsToWire(input.params) ?? [];
    const tags = tagsToWire(input.tags) ?? [];
    let mi = 0;
    let pi = 0;
    let ti = 0;
    do {
      const batchParams = params.slice(pi, pi + BATCH_MAX_PARAMS_TAGS);
      const batchTags = tags.slice(ti, ti + BATCH_MAX_PARAMS_TAGS);
      const batchMetrics = metrics.slice(mi, mi + BATCH_MAX_ENTITIES - batchParams.length - batchTags.length);
      pi += batchParams.length;
      ti += batchTags.length;
      mi += batchMetrics.length;
      const body: { run_id: string; metrics?: typeof batchMetrics; params?: WireTag[]; tags?: WireTag[] } = { run_id: runId };
      if (batchMetrics.length) body.metrics = batchMetrics;
      if (batchParams.length) body.params = batchParams;
      if (batchTags.length) body.tags = batchTags;
      await this.request('POST', 'runs/log-batch', { body, idempotent: repeatable });
    } while (mi < metrics.length || pi < params.length || ti < tags.length);
  }

  /**
   * Set a run's status. Ending it (FINISHED, FAILED, KILLED) records endTime, now unless given.
   */
  async updateRun(runId: string, status: RunStatus, opts: { endTime?: number; runName?: string } = {}): Promise<void> {
    const endTime = opts.endTime ?? (TERMINAL_RUN_STATUSES.has(status) ? Date.now() : undefined);
    await this.request('POST', 'runs/update', { body: { run_id: runId, status, end_time: endTime, run_name: opts.runName }, idempotent: true });
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
        const backoff = Math.min(this.backoffMs * 2 ** attempt, this.maxBackoffMs) * (0.5 + Math.random() * 0.5);
        await this.sleep(e.retryAfterMs !== undefined ? Math.min(e.retryAfterMs, Math.max(this.maxBackoffMs, 30_000)) : backoff);
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
