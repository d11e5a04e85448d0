export { apply, planAgainst, checkPlanFile, CHANGES_CHANNEL, type ApplyOptions, type ApplyResult, type ApplyInput } from './apply.js';
export { makePlan, observe, assemble, type PlanOptions, type PlanBase, type PlanDesired, type MadePlan, type Observation } from '../plan/pipeline.js';
export { PlanRejectedError, StalePlanError, GuardRefusedError, InvalidPlanFileError } from './errors.js';
export { resolveActor, resolveGitSha } from '../../adapters/git/provenance.js';
export {
  mirrorAfterApply,
  mirrorPrompts,
  mirrorPrompt,
  readMirrorTargets,
  changedPrompts,
  mirrorReportLines,
  planMirrorLines,
  PROMPT_TAGS,
  MirrorConflictError,
  type MirrorReport,
  type MirrorResult,
  type MirrorStatus,
  type MirrorTarget,
} from '../external/prompt-mirror.js';
