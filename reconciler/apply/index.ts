export { apply, planAgainst, checkPlanFile, CHANGES_CHANNEL, type ApplyOptions, type ApplyResult, type PlanOptions } from './apply.js';
export { PlanRejectedError, StalePlanError, GuardRefusedError, InvalidPlanFileError } from './errors.js';
export { resolveActor, resolveGitSha } from './provenance.js';
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
} from './mlflow-mirror.js';
