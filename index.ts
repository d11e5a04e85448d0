// Public library surface of labctl.
export { SpecLoader, readSpecDir, type DesiredState, type SpecFile } from './reconciler/load/index.js';
export { diff, fingerprint, hasChanges } from './reconciler/core/diff.js';
export type { Plan, Change, Diagnostic, Resource, ActualResource, Json, JsonObject } from './reconciler/core/types.js';
export { openDatabase, migrate, readActualState, readStatus, type Database } from './reconciler/stores/index.js';
export { apply, planAgainst, CHANGES_CHANNEL } from './reconciler/apply/index.js';
export { hashUnit, fnv1a32 } from './runtime/engine/hash.js';
export { variantRanges, chooseVariant } from './runtime/engine/ranges.js';
