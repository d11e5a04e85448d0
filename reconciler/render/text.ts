import { createColors } from 'picocolors';
import type { Change, Plan } from '../../core/types.js';
import { renderDecisionsText } from './decisions.js';
import { renderDiagnosticsText } from './diagnostics.js';
import { registrySummaryLine, renderRegistryText } from './registry.js';
import { actionLabel, describeReassignment, showValue, summaryLine } from './values.js';

const SYMBOL: Record<string, string> = { create: '+', update: '~', archive: '-', 'no-op': '?' };

/** The plan for a terminal. Pure: returns the text; the caller writes it. */
export function renderPlanText(plan: Plan, opts: { color: boolean }): string {
  const c = createColors(opts.color);
  const colour = (ch: Change, s: string) => (ch.action === 'create' ? c.green(s) : ch.action === 'update' ? c.yellow(s) : c.red(s));
  const lines: string[] = [];
  const shown = plan.changes.filter((ch) => ch.action !== 'no-op' || ch.pendingPrune);
  for (const ch of shown) {
    const where = ch.source ? c.dim(`  (${ch.source.file}:${ch.source.line})`) : '';
    lines.push(`${colour(ch, `${SYMBOL[ch.action]} ${ch.kind} ${ch.name}`)} ${c.dim(actionLabel(ch))}${where}`);
    if (ch.reason && !ch.pendingPrune) lines.push(`    ${c.magenta(ch.reason)}`);
    if (ch.action === 'update') {
      for (const f of ch.fields) lines.push(`    ${f.path}: ${c.red(showValue(f.before))} → ${c.green(showValue(f.after))}`);
    }
    if (ch.detail) {
      for (const l of ch.detail.split('\n')) lines.push(`    ${l.startsWith('+') && !l.startsWith('+++') ? c.green(l) : l.startsWith('-') && !l.startsWith('---') ? c.red(l) : c.dim(l)}`);
    }
    if (ch.reassignment) lines.push(`    ${ch.reassignment.acknowledged || ch.reassignment.moved === 0 ? c.cyan('reassignment:') : c.red('reassignment:')} ${describeReassignment(ch.reassignment)}`);
  }
  if (shown.length === 0) lines.push(c.green('No changes. The database matches the specs.'));
  if (plan.registry) lines.push('', ...renderRegistryText(plan.registry, c));
  if (plan.decisions?.length) lines.push('', ...renderDecisionsText(plan.decisions, c));
  if (plan.diagnostics.length > 0) lines.push('', renderDiagnosticsText(plan.diagnostics, { color: opts.color }).trimEnd());
  lines.push('', c.bold(summaryLine(plan.summary)));
  if (plan.registry) lines.push(c.bold(registrySummaryLine(plan.registry)));
  return lines.join('\n') + '\n';
}
