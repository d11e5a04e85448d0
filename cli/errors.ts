import { FixtureFileError } from '../adapters/files/fixtures.js';
import { createColors } from 'picocolors';
import { RegistryPendingError } from '../reconciler/apply/converge.js';
import { MlflowError } from '../adapters/mlflow/errors.js';
import { GuardRefusedError, InvalidPlanFileError, PlanRejectedError, StalePlanError } from '../reconciler/apply/errors.js';
import { renderDiagnosticsText } from '../reconciler/render/diagnostics.js';
import { DatabaseUnavailableError } from '../core/db.js';
import { LockTimeoutError } from '../adapters/db/locks.js';
import { MigrationChecksumError } from '../adapters/db/migrate.js';
import { EXIT, useColor, type CliIO } from './io.js';

/** A user-facing failure with a hint and an exit code, raised by commands. */
export class CliError extends Error {
  constructor(message: string, readonly hint?: string, readonly exitCode: number = EXIT.error) {
    super(message);
    this.name = 'CliError';
  }
}

/** Print an error the user can act on (one line and a hint) and return the exit code. */
export function reportError(e: unknown, io: CliIO): number {
  const c = createColors(useColor(io, 'stderr'));
  const say = (msg: string, hint?: string) => {
    io.stderr.write(`${c.red(c.bold('error:'))} ${msg}\n`);
    if (hint) io.stderr.write(`  ${c.green('hint:')} ${hint}\n`);
  };
  if (e instanceof PlanRejectedError) {
    io.stderr.write(renderDiagnosticsText(e.diagnostics, { color: useColor(io, 'stderr') }));
    say(`${e.message}; nothing was applied`);
    return EXIT.error;
  }
  if (e instanceof StalePlanError) {
    say(e.message, 'run labctl plan again and apply the new plan');
    return EXIT.refused;
  }
  if (e instanceof GuardRefusedError) {
    say(e.message, e.hint);
    return EXIT.refused;
  }
  if (e instanceof CliError) {
    say(e.message, e.hint);
    return e.exitCode;
  }
  if (e instanceof DatabaseUnavailableError || e instanceof LockTimeoutError || e instanceof MigrationChecksumError || e instanceof FixtureFileError) {
    say(e.message, e.hint);
    return EXIT.error;
  }
  if (e instanceof RegistryPendingError) {
    say(e.message, e.applied ? 'the steps are journaled: re-run labctl apply, or labctl apply --resume, once MLflow answers' : 'nothing new was applied; fix MLflow (or its credentials) and re-run labctl apply, or labctl apply --resume');
    return EXIT.error;
  }
  if (e instanceof MlflowError) {
    say(`MLflow: ${e.message}`, e.isAuthError ? 'set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD' : 'check MLFLOW_TRACKING_URI and that the tracking server is up; unset it to skip models and policies');
    return EXIT.error;
  }
  if (e instanceof InvalidPlanFileError) {
    say(e.message, 'pass a file written by labctl plan --out');
    return EXIT.error;
  }
  const err = e as Error & { code?: string };
  if (err && typeof err.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code)) {
    say(`database error ${err.code}: ${err.message.split('\n')[0]}`, 'check the database state; labctl status shows the last run');
    return EXIT.error;
  }
  say(`internal error: ${err?.message ?? String(e)}`, io.env.LABCTL_DEBUG ? undefined : 'this is a bug in labctl; rerun with LABCTL_DEBUG=1 for details');
  if (io.env.LABCTL_DEBUG && err?.stack) io.stderr.write(err.stack + '\n');
  return EXIT.error;
}
