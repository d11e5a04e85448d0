export { DEFAULT_CONCURRENCY, MlflowClient, type MlflowClientExtras, type MlflowClientOptions, type MlflowRequestStats, type RequestOptions } from './client.js';
export { MlflowError, type MlflowErrorCode, type MlflowServerErrorCode, type MlflowClientErrorCode, type MlflowErrorOptions } from './errors.js';
export { mlflowConfigFromEnv, mlflowConfigured, parseTrackingUri, authorizationHeader, MLFLOW_DEFAULTS, type MlflowAuth, type MlflowConfig } from './config.js';
export {
  filterLiteral,
  isPromptEntry,
  PROMPT_TAG,
  tagFilter,
  type Experiment,
  type LogBatchInput,
  type MetricInput,
  type MetricPoint,
  type ModelVersion,
  type ModelVersionStatus,
  type RegisteredModel,
  type Run,
  type RunStatus,
  type SearchModelVersionsPage,
  type SearchModelVersionsRequest,
  type SearchRegisteredModelsPage,
  type SearchRegisteredModelsRequest,
  type Tags,
} from './types.js';
