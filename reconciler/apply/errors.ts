import type { Diagnostic } from '../../core/types.js';

/** The plan cannot be applied as it stands: a user error with diagnostics (exit 1). */
export class PlanRejectedError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(`the plan has ${diagnostics.filter((d) => d.severity === 'error').length} error(s)`);
    this.name = 'PlanRejectedError';
  }
}

/** A plan file whose resources changed since it was made (exit 3). */
export class StalePlanError extends Error {
  constructor(readonly stale: Array<{ kind: string; name: string }>) {
    super(`the plan is stale: ${stale.length} resource(s) changed since it was made (${stale.slice(0, 5).map((s) => `${s.kind}/${s.name}`).join(', ')}${stale.length > 5 ? ', …' : ''})`);
    this.name = 'StalePlanError';
  }
}

/** A safety guard refused the plan (exit 3). */
export class GuardRefusedError extends Error {
  constructor(message: string, readonly hint: string) {
    super(message);
    this.name = 'GuardRefusedError';
  }
}

/** A plan file that cannot be read as a labctl plan (exit 1). */
export class InvalidPlanFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPlanFileError';
  }
}
