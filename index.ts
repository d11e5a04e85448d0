// Public library surface of labctl (docs/runtime.md#library). Like the CLI, this entry is a shell:
// it fills in the process's working directory and identity where the library needs them.
import { currentProcess } from './cli/host.js';
import { LiveSnapshot, type LiveSnapshotOptions } from './runtime/live/live.js';
export { snapshotFromDir, SpecsInvalidError } from './reconciler/load/snapshot.js';
export { LiveSnapshot, type LiveSnapshotOptions, type LiveHealth } from './runtime/live/live.js';
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
export { apply, planAgainst, makePlan, CHANGES_CHANNEL, type PlanBase, type PlanDesired, type PlanOptions } from './reconciler/apply/index.js';

/** Open a live snapshot of the applied state in the database; it follows NOTIFY (docs/runtime.md#library). */
export function openSnapshot(opts: LiveSnapshotOptions = {}): Promise<LiveSnapshot> {
  return LiveSnapshot.open({ cwd: process.cwd(), host: currentProcess(), ...opts });
}
