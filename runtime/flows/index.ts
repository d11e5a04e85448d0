export { FlowRuntime, type FlowRuntimeOptions, type TurnHooks } from './runtime.js';
export { flowRoutes } from './routes.js';
export { StepLog, MemoryStepLog, type StepLogRow, type StepLogStore } from './step-log.js';
export { flowCatalog, FlowCatalog } from './catalog.js';
export type { SessionRecord, TurnAnswer } from './record.js';
export { replaySession, ReplayError, type Replay } from './replay.js';
export { replayRoute } from './replay-route.js';
