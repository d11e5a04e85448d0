import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { massArchives, hasChanges } from '../../core/diff.js';
import type { Diagnostic, Plan } from '../../core/types.js';
import { planAgainst } from '../../apply/apply.js';
import { resolveGitSha } from '../../apply/provenance.js';
import { renderDiagnosticsText } from '../../render/diagnostics.js';
import { renderPlanJson } from '../../render/json.js';
import { renderPlanMarkdown } from '../../render/markdown.js';
import { renderPlanText } from '../../render/text.js';
import { loadDir, withDatabase } from '../context.js';
import { CliError } from '../errors.js';
import { EXIT, useColor, type CliIO } from '../io.js';

export interface PlanFlags {
  dir?: string;
  out?: string;
  format: string;
  detailedExitcode?: boolean;
  prune?: boolean;
}

/** Render a plan in the requested format. */
export function renderPlan(plan: Plan, format: string, color: boolean): string {
  if (format === 'json') return renderPlanJson(plan);
  if (format === 'markdown') return renderPlanMarkdown(plan);
  return renderPlanText(plan, { color });
}

/** labctl plan: 0 no changes, 2 changes (with --detailed-exitcode), 1 error. */
export async function planCommand(io: CliIO, flags: PlanFlags): Promise<number> {
  if (!['text', 'json', 'markdown'].includes(flags.format)) throw new CliError(`unknown --format "${flags.format}"`, 'use text, json or markdown');
  const { dir, state } = await loadDir(io, flags.dir);
  if (state.diagnostics.some((d) => d.severity === 'error')) {
    io.stderr.write(renderDiagnosticsText(state.diagnostics, { color: useColor(io, 'stderr') }));
    throw new CliError('the specs are invalid; no plan was made', 'fix the errors above (labctl validate shows them too)');
  }
  const gitSha = await resolveGitSha(dir);
  const plan = await withDatabase(io, 'plan', async (db) => {
    const { plan, actual } = await planAgainst(db, state.resources, { prune: Boolean(flags.prune), gitSha, now: () => new Date(), locate: state.locate });
    const guard: Diagnostic[] = massArchives(plan, actual).map((m) => ({
      severity: 'warning',
      code: 'mass-archive',
      summary: `this plan archives ${m.archived} of ${m.active} ${m.kind} resources; apply will refuse without --allow-mass-archive`,
      hint: 'check --dir points at the right directory',
    }));
    return { ...plan, diagnostics: [...state.diagnostics, ...plan.diagnostics, ...guard] };
  });
  if (flags.out) await writeFile(resolve(io.cwd, flags.out), renderPlanJson(plan));
  io.stdout.write(renderPlan(plan, flags.format, useColor(io)));
  if (flags.out && flags.format === 'text') io.stdout.write(`Saved the plan to ${flags.out}; apply it with: labctl apply ${flags.out}\n`);
  if (plan.diagnostics.some((d) => d.severity === 'error')) return EXIT.error;
  return flags.detailedExitcode && hasChanges(plan) ? EXIT.changes : EXIT.ok;
}
