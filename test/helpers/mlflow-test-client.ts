import { MlflowClient, type MlflowClientExtras } from '../../adapters/mlflow/client.js';
import type { MlflowConfig } from '../../adapters/mlflow/config.js';
import { mlflowConfigFromEnv } from '../../adapters/mlflow/config.js';
import { MlflowError } from '../../adapters/mlflow/errors.js';
import {
  doubleToWire,
  experimentFromWire,
  metricPointFromWire,
  modelVersionFromWire,
  runFromWire,
  tagsToWire,
  type Experiment,
  type LogBatchInput,
  type MetricPoint,
  type ModelVersion,
  type RegisteredModel,
  type Run,
  type RunStatus,
  type SearchRegisteredModelsRequest,
  type Tags,
  type WireExperiment,
  type WireMetric,
  type WireModelVersion,
  type WireRun,
  type WireTag,
} from '../../adapters/mlflow/types.js';

/** MLflow's largest page of registered models (search refuses more). */
const REGISTERED_MODELS_PAGE_MAX = 1000;
/** MLflow's GET_METRIC_HISTORY_MAX_RESULTS: the page size its own clients ask for. */
const METRIC_HISTORY_PAGE = 25_000;
/** MLflow's limits per runs/log-batch request. */
const BATCH_MAX_ENTITIES = 1000;
const BATCH_MAX_PARAMS_TAGS = 100;
const TERMINAL_RUN_STATUSES = new Set(['FINISHED', 'FAILED', 'KILLED']);

/**
 * The MLflow client with what only tests (and training jobs, which tests play) need: experiments,
 * runs and their metrics, and the reads and deletes labctl itself never makes. Same transport,
 * retries and limiter as the product's client, so the tests of those methods test the real thing.
 */
export class MlflowTestClient extends MlflowClient {
  static override fromConfig(config: MlflowConfig, extra: MlflowClientExtras = {}): MlflowTestClient {
    return new MlflowTestClient({ ...config, ...extra });
  }

  /** A client for the server the environment names; undefined when MLFLOW_TRACKING_URI is unset. */
  static override fromEnv(env: NodeJS.ProcessEnv, extra: MlflowClientExtras = {}): MlflowTestClient | undefined {
    const config = mlflowConfigFromEnv(env);
    return config ? MlflowTestClient.fromConfig(config, extra) : undefined;
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

  /** Remove a tag from a model version; a tag that is not there is fine, a missing version is isNotFound. */
  async deleteModelVersionTag(name: string, version: string, key: string): Promise<void> {
    await this.request('DELETE', 'model-versions/delete-tag', { body: { name, version, key }, idempotent: true });
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
