export { assign, assignCompiled, evaluate, unitValue, type Assignment, type AssignmentDetail, type AssignmentReason } from './assign.js';
export { buildSnapshot, type Snapshot, type CompiledExperiment, type CompiledVariant, type SnapshotResource, type SnapshotOptions } from './snapshot.js';
export { parseModelRef, resolveModelRef, pinnedVersion, aliasSpec, type ModelRef, type ResolvedModel, type ModelAliasMap } from './models.js';
export { compileCondition, type Attributes, type Predicate } from '../../core/conditions/conditions.js';
export { checkCondition, type ConditionProblem } from '../../core/conditions/operators.js';
export { hashUnit, fnv1a32, HASH_BUCKETS } from './hash.js';
export { variantRanges, chooseVariant, normaliseWeights, type Range } from './ranges.js';
export { compareVersions } from '../../core/conditions/semver.js';
