import { mlflowConfigFromEnv, type MlflowConfig } from './config.js';
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
import { MlflowTransport, type MlflowClientExtras } from './transport.js';

export { DEFAULT_CONCURRENCY, MlflowTransport, type MlflowClientExtras, type MlflowClientOptions, type MlflowRequestStats, type RequestOptions } from './transport.js';

/** MLflow's largest page of registered models (search refuses more). */
const REGISTERED_MODELS_PAGE_MAX = 1000;
/** MLflow's GET_METRIC_HISTORY_MAX_RESULTS: the page size its own clients ask for. */
const METRIC_HISTORY_PAGE = 25_000;
/** MLflow's limits per runs/log-batch request. */
const BATCH_MAX_ENTITIES = 1000;
const BATCH_MAX_PARAMS_TAGS = 100;
const TERMINAL_RUN_STATUSES = new Set(['FINISHED', 'FAILED', 'KILLED']);

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
export class MlflowClient extends MlflowTransport {
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

}
