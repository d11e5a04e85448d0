export { MlflowClient, type MlflowClientOptions, type RequestOptions } from './client.js';
export { MlflowError, type MlflowErrorCode, type MlflowServerErrorCode, type MlflowClientErrorCode, type MlflowErrorOptions } from './errors.js';
export { mlflowConfigFromEnv, mlflowConfigured, parseTrackingUri, authorizationHeader, MLFLOW_DEFAULTS, type MlflowAuth, type MlflowConfig } from './config.js';
export { filterLiteral, tagFilter, type ModelVersion, type ModelVersionStatus, type RegisteredModel, type SearchModelVersionsPage, type SearchModelVersionsRequest, type Tags } from './types.js';
