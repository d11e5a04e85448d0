import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createColors } from 'picocolors';
import type { ApplyInput } from '../../reconciler/apply/apply.js';
import { applyAndConverge, RegistryPendingError, resumeJournal } from '../../reconciler/apply/converge.js';
import type { ExecutionReport } from '../../reconciler/external/registry-steps.js';
import { InvalidPlanFileError } from '../../reconciler/apply/errors.js';
import { mirrorReportLines, type MirrorReport } from '../../reconciler/external/prompt-mirror.js';
import { mirrorTargetsAfter, runMirror } from '../../reconciler/external/executor.js';
import { resolveActor, resolveGitProvenance } from '../../adapters/git/provenance.js';
import type { Plan } from '../../core/types.js';
import type { DesiredState } from '../../reconciler/load/index.js';
import { renderDiagnosticsText } from '../../reconciler/render/diagnostics.js';
import { renderRegistryText } from '../../reconciler/render/registry.js';
import { renderPlanText } from '../../reconciler/render/text.js';
import { mlflowConfigured } from '../../adapters/mlflow/config.js';
import { loadDir, registryFromEnv, withDatabase } from '../context.js';
import { CliError } from '../errors.js';
import { EXIT, useColor, type CliIO } from '../io.js';

export interface ApplyFlags {
  dir?: string;
  prune?: boolean;
  lockTimeout: string;
  allowMassArchive?: boolean;
  resume?: boolean;
}

async function readPlanFile(io: CliIO, file: string): Promise<Plan> {
  let text: string;
  try {
    text = await readFile(resolve(io.cwd, file), 'utf8');
  } catch (e) {
    throw new InvalidPlanFileError(`cannot read plan file ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as Plan;
  } catch (e) {
    throw new InvalidPlanFileError(`plan file ${file} is not JSON: ${(e as Error).message}`);
  }
}

/** Parse a duration in seconds ("30", "30s", "2m"). */
export function parseSeconds(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m)?$/.exec(value.trim());
  if (!m) throw new CliError(`invalid ${flag} "${value}"`, `write seconds, e.g. ${flag} 30`);
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
}

/** One line per MLflow step run (done, pending or failed). */
function printSteps(io: CliIO, report: ExecutionReport | undefined, prefix = ''): void {
  const c = createColors(useColor(io));
  for (const o of report?.outcomes ?? []) {
    if (o.status === 'done') io.stdout.write(`${c.green('✓')} MLflow: ${prefix}${o.message}\n`);
    else io.stderr.write(`${c.red('✗')} MLflow: ${prefix}${o.message}: ${o.status === 'failed' ? 'failed' : 'still pending'}: ${o.error}\n`);
  }
}

/** labctl apply --resume: run the MLflow steps earlier applies left pending, nothing else. */
async function resumeCommand(io: CliIO): Promise<number> {
  const registry = registryFromEnv(io);
  return withDatabase(io, 'apply', async (db) => {
    if (!registry.client) {
      const { unconfiguredPending } = await resumeJournal(db, registry);
      if (unconfiguredPending === 0) {
        io.stdout.write('No pending MLflow steps.\n');
        return EXIT.ok;
      }
      throw new CliError(`${unconfiguredPending} MLflow step(s) are pending, but MLFLOW_TRACKING_URI is not set`, 'set MLFLOW_TRACKING_URI (and its credentials) and run labctl apply --resume again');
    }
    try {
      const { report } = await resumeJournal(db, registry);
      printSteps(io, report);
      const n = report?.outcomes.length ?? 0;
      io.stdout.write(n === 0 ? 'No pending MLflow steps.\n' : `Resumed: ${report!.outcomes.filter((o) => o.status === 'done').length} MLflow step(s) done${report!.failed > 0 ? `, ${report!.failed} failed` : ''}.\n`);
      return report && report.failed > 0 ? EXIT.error : EXIT.ok;
    } catch (e) {
      if (e instanceof RegistryPendingError) printSteps(io, e.report);
      throw e;
    }
  });
}

/** labctl apply [PLAN_FILE]: 0 applied or nothing to do, 1 error, 3 stale plan or refused by a guard. */
export async function applyCommand(io: CliIO, planFile: string | undefined, flags: ApplyFlags): Promise<number> {
  const lockTimeoutMs = parseSeconds(flags.lockTimeout, '--lock-timeout') * 1000;
  const color = useColor(io);
  const c = createColors(color);
  if (flags.resume) {
    if (planFile || flags.dir || flags.prune) throw new CliError('--resume runs only the pending MLflow steps; it takes no plan file, --dir or --prune', 'run labctl apply --resume alone');
    return resumeCommand(io);
  }
  let input: ApplyInput;
  let dir: string;
  let locate: DesiredState['locate'] | undefined;
  if (planFile) {
    if (flags.dir) throw new CliError('pass either a plan file or --dir, not both', 'a plan file already holds the desired state');
    dir = io.cwd;
    input = { plan: await readPlanFile(io, planFile) };
  } else {
    const loaded = await loadDir(io, flags.dir);
    dir = loaded.dir;
    if (loaded.state.diagnostics.some((d) => d.severity === 'error')) {
      io.stderr.write(renderDiagnosticsText(loaded.state.diagnostics, { color: useColor(io, 'stderr') }));
      throw new CliError('the specs are invalid; nothing was applied', 'fix the errors above (labctl validate shows them too)');
    }
    input = { desired: loaded.state.resources, diagnostics: loaded.state.diagnostics };
    locate = loaded.state.locate;
  }
  // An unusable MLFLOW_TRACKING_URI is a configuration error: refuse before touching the database.
  const registry = registryFromEnv(io, '; nothing was applied');
  const [head, actor] = await Promise.all([resolveGitProvenance(dir), resolveActor(io.env, dir)]);
  // A saved plan records the commit it was made from (and whether its specs were uncommitted edits); that is what gets applied.
  const saved = 'plan' in input ? (input.plan as { git_sha?: unknown; git_dirty?: unknown } | null) : undefined;
  const fromPlan = typeof saved?.git_sha === 'string' && saved.git_sha !== '';
  const gitSha = fromPlan ? (saved!.git_sha as string) : head.sha;
  const gitDirty = fromPlan ? saved!.git_dirty === true : head.dirty;
  io.stderr.write(c.dim(`Applying as ${actor}…\n`));
  // The mirror runs after the commit: the database is applied whatever MLflow answers.
  const { result, targets, resumed, executed } = await withDatabase(io, 'apply', async (db) => {
    const converged = await applyAndConverge(db, input, { prune: Boolean(flags.prune), gitSha, gitDirty, now: () => new Date(), locate, actor, lockTimeoutMs, allowMassArchive: Boolean(flags.allowMassArchive), registry });
    if (converged.registryPending) {
      printSteps(io, converged.resumed, 'earlier apply: ');
      if (converged.result) io.stdout.write(renderPlanText(converged.result.plan, { color }));
      printSteps(io, converged.registryPending.report);
      throw converged.registryPending;
    }
    if (converged.unconfiguredPending > 0) io.stderr.write(c.yellow(`${converged.unconfiguredPending} MLflow step(s) of an earlier apply are pending; set MLFLOW_TRACKING_URI and run labctl apply --resume\n`));
    const result = converged.result!;
    const targets = await mirrorTargetsAfter(db, result.plan).catch((e: Error) => e);
    return { result, targets, resumed: converged.resumed, executed: converged.executed };
  });
  printSteps(io, resumed, 'earlier apply: ');
  if (result.outcome === 'no-op') {
    io.stdout.write(`${c.green('No changes.')} Nothing to apply (revision ${result.plan.revision}).\n`);
    // Why nothing moved in MLflow (a blocked promotion, drift that is only reported) is worth saying.
    const registry = result.plan.registry;
    if (registry && (registry.status === 'skipped' || registry.decisions.some((d) => d.outcome !== 'current') || registry.notes.length > 0)) {
      io.stdout.write(renderRegistryText(registry, c).join('\n') + '\n');
    }
  } else {
    io.stdout.write(renderPlanText(result.plan, { color }));
    const s = result.plan.summary;
    io.stdout.write(`${c.green(c.bold('Apply complete:'))} ${s.add} added, ${s.change} changed, ${s.archive} archived. Revision ${result.plan.revision} (run ${result.runId}).\n`);
  }
  printSteps(io, executed);
  // MLflow is called with the database closed (an embedded one is free for other processes meanwhile).
  if (!(targets instanceof Error) && targets.length > 0 && mlflowConfigured(io.env)) io.stderr.write(c.dim(`Mirroring ${targets.length} prompt${targets.length === 1 ? '' : 's'} to MLflow…\n`));
  const mirror = targets instanceof Error ? targets : await runMirror(targets, { env: io.env });
  return reportMirror(io, mirror, result.outcome === 'no-op' ? 'the database was already up to date' : `the database was applied (revision ${result.plan.revision})`);
}

/** Print the MLflow mirror's outcome; a failed mirror is exit 1 although the database was applied. */
function reportMirror(io: CliIO, mirror: MirrorReport | Error, applied: string): number {
  const c = createColors(useColor(io, 'stderr'));
  const retry = 're-run labctl apply to retry the mirror (it retries even when the specs have no changes)';
  if (mirror instanceof Error) {
    io.stderr.write(`${c.red('MLflow mirror failed:')} ${mirror.message.split('\n')[0]}\n`);
    throw new CliError(`${applied}, but the MLflow mirror could not run`, retry);
  }
  const { info, errors } = mirrorReportLines(mirror);
  for (const l of info) io.stdout.write(`${l}\n`);
  for (const l of errors) io.stderr.write(`${c.red(l)}\n`);
  if (mirror.failed.length > 0) {
    const n = mirror.failed.length;
    throw new CliError(`${applied}, but the MLflow mirror failed for ${n} prompt${n === 1 ? '' : 's'} (${mirror.failed.map((f) => f.prompt).join(', ')})`, retry);
  }
  return EXIT.ok;
}
