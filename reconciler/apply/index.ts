export { apply, planAgainst, checkPlanFile, CHANGES_CHANNEL, type ApplyOptions, type ApplyResult, type PlanOptions } from './apply.js';
export { PlanRejectedError, StalePlanError, GuardRefusedError, InvalidPlanFileError } from './errors.js';
export { resolveActor, resolveGitSha } from './provenance.js';
