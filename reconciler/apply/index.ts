export { apply, planAgainst, checkPlanFile, CHANGES_CHANNEL, type ApplyOptions, type ApplyResult, type ApplyInput } from './apply.js';
export { makePlan, observe, assemble, type PlanOptions, type PlanBase, type PlanDesired, type MadePlan, type Observation } from '../plan/pipeline.js';
export { PlanRejectedError, StalePlanError, GuardRefusedError, InvalidPlanFileError } from './errors.js';
