/**
 * Apply with the model registry: finish the MLflow steps an earlier apply left pending, apply (which
 * plans the registry and journals its steps in the same transaction), then run the new steps.
 */
import type { RegistryContext } from '../plan/registry.js';
import { runRegistrySteps } from '../external/executor.js';
import type { ExecutionReport } from '../external/registry-steps.js';
import type { Database } from '../../core/db.js';
import { apply, type ApplyInput, type ApplyOptions, type ApplyResult } from './apply.js';

/** MLflow steps are still pending after trying to run them (MLflow down, credentials refused). */
export class RegistryPendingError extends Error {
  constructor(
    message: string,
    readonly report: ExecutionReport | undefined,
    /** Whether this apply's own database changes were committed before the failure. */
    readonly applied: boolean,
  ) {
    super(message);
    this.name = 'RegistryPendingError';
  }
}

export interface ConvergeResult {
  result?: ApplyResult;
  /** Steps of earlier applies completed first. */
  resumed?: ExecutionReport;
  /** This apply's steps. */
  executed?: ExecutionReport;
  /** Steps pending that could not be run because MLflow is not configured. */
  unconfiguredPending: number;
  /**
   * The database was committed, but some of this apply's MLflow steps stayed pending or failed: an
   * outcome to report (and exit 1 on), returned rather than thrown so the applied plan stays at hand.
   */
  registryPending?: RegistryPendingError;
}

function firstError(r: ExecutionReport): string {
  return r.outcomes.find((o) => o.error)?.error ?? 'unknown error';
}

/** Run the steps earlier applies left pending. Throws RegistryPendingError when some stay pending. */
export async function resumeJournal(db: Database, ctx: RegistryContext, opts: { signal?: AbortSignal } = {}): Promise<{ report?: ExecutionReport; unconfiguredPending: number }> {
  const { report, unconfiguredPending } = await runRegistrySteps(db, { client: ctx.client, signal: opts.signal });
  if (!report) return { unconfiguredPending };
  if (report.pending > 0) {
    throw new RegistryPendingError(`${report.pending} MLflow step(s) of an earlier apply are still pending: ${firstError(report)}`, report, false);
  }
  return { report, unconfiguredPending: 0 };
}

/**
 * The whole apply: resume pending steps, apply in one transaction (journaling this run's MLflow
 * steps), run the new steps. The database is committed whatever MLflow answers afterwards; steps it
 * did not take stay pending and `registryPending` says so.
 */
export async function applyAndConverge(
  db: Database,
  input: ApplyInput,
  opts: ApplyOptions & { registry: RegistryContext; signal?: AbortSignal },
): Promise<ConvergeResult> {
  const { report: resumed, unconfiguredPending } = await resumeJournal(db, opts.registry, { signal: opts.signal });
  const result = await apply(db, input, opts);
  if (!opts.registry.client || result.outcome !== 'applied' || !result.plan.registry?.steps.length) return { result, resumed, unconfiguredPending };
  const executed = (await runRegistrySteps(db, { client: opts.registry.client, signal: opts.signal })).report!;
  if (executed.pending > 0 || executed.failed > 0) {
    const what = executed.pending > 0 ? `${executed.pending} MLflow step(s) are pending` : `${executed.failed} MLflow step(s) failed`;
    const registryPending = new RegistryPendingError(`the database was applied (revision ${result.plan.revision}), but ${what}: ${firstError(executed)}`, executed, true);
    return { result, resumed, executed, unconfiguredPending, registryPending };
  }
  return { result, resumed, executed, unconfiguredPending };
}
