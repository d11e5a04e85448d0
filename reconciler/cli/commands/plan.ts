import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { diff, massArchives, hasChanges } from '../../core/diff.js';
import { specHash } from '../../core/hash.js';
import type { ActualResource, Diagnostic, Plan } from '../../core/types.js';
import { planAgainst } from '../../apply/apply.js';
import { planMirrorLines } from '../../apply/mlflow-mirror.js';
import { repoPathPrefix, resolveGitSha } from '../../apply/provenance.js';
import { KINDS } from '../../kinds/index.js';
import { countPending } from '../../registry/journal.js';
import { planRegistryState, type RegistryContext } from '../../registry/index.js';
import { problemToDiagnostic } from '../../core/pointer.js';
import { GitRefError, readSpecsAtRef, SpecLoader, type DesiredState } from '../../load/index.js';
import { renderDiagnosticsGithub, renderDiagnosticsJson, renderDiagnosticsText } from '../../render/diagnostics.js';
import { renderPlanJson } from '../../render/json.js';
import { renderPlanMarkdown } from '../../render/markdown.js';
import { renderPlanText } from '../../render/text.js';
import { loadDir, registryFromEnv, withDatabase } from '../context.js';
import { CliError } from '../errors.js';
import { EXIT, useColor, type CliIO } from '../io.js';

export interface PlanFlags {
  dir?: string;
  out?: string;
  format: string;
  detailedExitcode?: boolean;
  prune?: boolean;
  base?: string;
}

/** Render a plan in the requested format. */
export function renderPlan(plan: Plan, format: string, color: boolean, dirPrefix = ''): string {
  if (format === 'json') return renderPlanJson(plan);
  if (format === 'markdown') return renderPlanMarkdown(plan);
  if (format === 'github') return renderDiagnosticsGithub(plan.diagnostics, dirPrefix) + renderPlanText({ ...plan, diagnostics: [] }, { color: false });
  return renderPlanText(plan, { color });
}

/** The specs at a git ref, as if they were the applied state: a plan for a pull request with no database. */
async function planAgainstRef(dir: string, ref: string, desired: DesiredState, prune: boolean, gitSha: string, registryCtx: RegistryContext): Promise<{ plan: Plan; actual: ActualResource[] }> {
  const base = await readSpecsAtRef(dir, ref);
  const baseState = new SpecLoader().load(base.files);
  const actual: ActualResource[] = baseState.resources.map((r) => ({
    kind: r.kind,
    name: r.name,
    spec: r.spec,
    recordedHash: specHash(r.spec),
    generation: 1,
    archived: false,
    gitSha: base.commit,
    appliedAt: '',
  }));
  const now = new Date();
  const plan = diff(desired.resources, actual, { prune, gitSha, now: now.toISOString(), kinds: KINDS, locate: desired.locate });
  // Promotions are worth reviewing in the pull request too: MLflow is read when it is configured.
  const registry = await planRegistryState(undefined, desired.resources, registryCtx, { nowMs: now.getTime(), actual });
  if (registry) {
    plan.registry = registry.registry;
    for (const { resource, problem } of registry.problems) plan.diagnostics.push(problemToDiagnostic(problem, desired.locate(resource, problem.path)));
  }
  const baseErrors = baseState.diagnostics.filter((d) => d.severity === 'error').length;
  if (baseErrors > 0) {
    plan.diagnostics.push({
      severity: 'warning',
      code: 'base-invalid',
      summary: `the specs at ${ref} (${base.commit.slice(0, 12)}) have ${baseErrors} error(s); resources that failed there are compared as new`,
      hint: `run labctl validate on ${ref} to see them`,
    });
  }
  return { plan, actual };
}

/** labctl plan: 0 no changes, 2 changes (with --detailed-exitcode), 1 error. */
export async function planCommand(io: CliIO, flags: PlanFlags): Promise<number> {
  if (!['text', 'json', 'markdown', 'github'].includes(flags.format)) throw new CliError(`unknown --format "${flags.format}"`, 'use text, json, markdown or github');
  const { dir, state } = await loadDir(io, flags.dir);
  const dirPrefix = flags.format === 'github' ? await repoPathPrefix(dir, io.cwd) : '';
  if (state.diagnostics.some((d) => d.severity === 'error')) {
    if (flags.format === 'github') io.stdout.write(renderDiagnosticsGithub(state.diagnostics, dirPrefix));
    if (flags.format === 'json') io.stdout.write(renderDiagnosticsJson(state.diagnostics));
    io.stderr.write(renderDiagnosticsText(state.diagnostics, { color: useColor(io, 'stderr') }));
    throw new CliError('the specs are invalid; no plan was made', 'fix the errors above (labctl validate shows them too)');
  }
  const gitSha = await resolveGitSha(dir);
  const prune = Boolean(flags.prune);
  const made = async (): Promise<{ plan: Plan; actual: ActualResource[] }> => {
    if (flags.base) {
      try {
        return await planAgainstRef(dir, flags.base, state, prune, gitSha, registryFromEnv(io));
      } catch (e) {
        if (e instanceof GitRefError) throw new CliError(e.message, e.hint);
        throw e;
      }
    }
    const registry = registryFromEnv(io);
    return withDatabase(io, 'plan', async (db) => {
      const made = await planAgainst(db, state.resources, { prune, gitSha, now: () => new Date(), locate: state.locate, registry });
      const pending = await countPending(db);
      if (pending > 0) {
        made.plan.diagnostics.push({
          severity: 'warning',
          code: 'mlflow-steps-pending',
          summary: `${pending} MLflow step(s) of an earlier apply are still pending; this plan does not include their effect`,
          hint: 'labctl apply completes them first (or run labctl apply --resume)',
        });
      }
      return made;
    });
  };
  const { plan: raw, actual } = await made();
  const guard: Diagnostic[] = massArchives(raw, actual).map((m) => ({
    severity: 'warning',
    code: 'mass-archive',
    summary: `this plan archives ${m.archived} of ${m.active} ${m.kind} resources; apply will refuse without --allow-mass-archive`,
    hint: 'check --dir points at the right directory',
  }));
  const plan: Plan = { ...raw, diagnostics: [...state.diagnostics, ...raw.diagnostics, ...guard], ...(flags.base ? { base_ref: flags.base } : {}) };
  const failed = plan.diagnostics.some((d) => d.severity === 'error');
  // A plan with errors cannot be applied, so it is not saved either.
  if (flags.out && !failed) await writeFile(resolve(io.cwd, flags.out), renderPlanJson(plan));
  io.stdout.write(renderPlan(plan, flags.format, useColor(io), dirPrefix));
  // What apply does with MLflow afterwards (a line each, never a failure); JSON output stays pure.
  const mirror = planMirrorLines(state.resources, plan, io.env);
  if (mirror.length > 0) {
    if (flags.format === 'json') io.stderr.write(mirror.map((l) => `${l}\n`).join(''));
    else if (flags.format === 'markdown') io.stdout.write(`\n${mirror.map((l) => `- ${l}`).join('\n')}\n`);
    else io.stdout.write(mirror.map((l) => `${l}\n`).join(''));
  }
  if (flags.out && flags.format === 'text') io.stdout.write(failed ? `Not saved to ${flags.out}: the plan has errors.\n` : `Saved the plan to ${flags.out}; apply it with: labctl apply ${flags.out}\n`);
  if (failed) return EXIT.error;
  return flags.detailedExitcode && hasChanges(plan) ? EXIT.changes : EXIT.ok;
}
