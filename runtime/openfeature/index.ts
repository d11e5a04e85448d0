// labctl/openfeature: the in-process OpenFeature provider (needs @openfeature/server-sdk installed).
export { LabctlProvider, trackingAttributes, type EventSink, type LabctlProviderOptions, type ProviderEvent, type ProviderSource } from './provider.js';
export { openFeatureReason, type OpenFeatureReason } from '../../kinds/experiment/openfeature-reasons.js';
