// Public library surface of labctl (DESIGN §6b).
export { snapshotFromDir, SpecsInvalidError } from './runtime/live/load.js';
export { openSnapshot, LiveSnapshot, type LiveSnapshotOptions, type LiveHealth } from './runtime/live/live.js';
export { assign, evaluate, type Assignment, type AssignmentDetail, type AssignmentReason } from './engine/assignment/assign.js';
export { buildSnapshot, type Snapshot, type CompiledExperiment } from './engine/assignment/snapshot.js';
export type { ResolvedModel } from './engine/assignment/models.js';
export { compileCondition, type Attributes } from './core/conditions/conditions.js';
export { hashUnit, fnv1a32 } from './engine/assignment/hash.js';
export { variantRanges, chooseVariant } from './engine/assignment/ranges.js';
export { RuntimeServer, type RuntimeServerOptions } from './runtime/server/server.js';
export { ExposureWriter } from './runtime/exposures/writer.js';

export { SpecLoader, readSpecDir, type DesiredState, type SpecFile } from './reconciler/load/index.js';
export { diff, fingerprint, hasChanges } from './core/diff.js';
export type { Plan, Change, Diagnostic, Resource, ActualResource, Json, JsonObject } from './core/types.js';
export { openDatabase, migrate, readActualState, readStatus, type Database } from './adapters/db/index.js';
export { apply, planAgainst, CHANGES_CHANNEL } from './reconciler/apply/index.js';
