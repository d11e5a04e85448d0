import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { hasChanges } from '../../core/diff.js';
import type { Plan } from '../../core/types.js';
import { makePlan } from '../../reconciler/plan/pipeline.js';
import { planMirrorLines } from '../../reconciler/external/prompt-mirror.js';
import { repoPathPrefix, resolveGitProvenance } from '../../adapters/git/provenance.js';
import { GitRefError } from '../../reconciler/load/index.js';
import { renderDiagnosticsGithub, renderDiagnosticsJson, renderDiagnosticsText } from '../../reconciler/render/diagnostics.js';
import { renderPlanJson } from '../../reconciler/render/json.js';
import { renderPlanMarkdown } from '../../reconciler/render/markdown.js';
import { renderPlanText } from '../../reconciler/render/text.js';
import { loadDir, registryFromEnv, withDatabase, withResultsReader } from '../context.js';
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
  const git = await resolveGitProvenance(dir);
  const opts = { prune: Boolean(flags.prune), gitSha: git.sha, gitDirty: git.dirty, now: () => new Date(), registry: registryFromEnv(io) };
  let plan: Plan;
  if (flags.base) {
    try {
      ({ plan } = await makePlan({ kind: 'git-ref', dir, ref: flags.base }, state, opts));
    } catch (e) {
      if (e instanceof GitRefError) throw new CliError(e.message, e.hint);
      throw e;
    }
  } else {
    // Decisions read results like report and status do: on the replica when one is configured.
    ({ plan } = await withResultsReader(io, 'plan', (reader) => withDatabase(io, 'plan', (db) => makePlan({ kind: 'database', q: db }, state, { ...opts, decisions: true, aggregateOn: reader }))));
  }
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
