import { mlflowConfigFromEnv, type MlflowConfig } from './config.js';
import { MlflowError } from './errors.js';
import {
  isPromptEntry,
  modelVersionFromWire,
  registeredModelFromWire,
  runFromWire,
  tagsToWire,
  type ModelVersion,
  type RegisteredModel,
  type Run,
  type SearchModelVersionsPage,
  type SearchModelVersionsRequest,
  type SearchRegisteredModelsPage,
  type SearchRegisteredModelsRequest,
  type Tags,
  type WireModelVersion,
  type WireRegisteredModel,
  type WireRun,
} from './types.js';
import { MlflowTransport, type MlflowClientExtras } from './transport.js';

export { DEFAULT_CONCURRENCY, MlflowTransport, type MlflowClientExtras, type MlflowClientOptions, type MlflowRequestStats, type RequestOptions } from './transport.js';


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

  // ---- runs -----------------------------------------------------------------------------------

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

}
