import type { Change, Plan } from '../../core/types.js';
import { renderDecisionsMarkdown } from './decisions.js';
import { registrySummaryLine, renderRegistryMarkdown } from './registry.js';
import { actionLabel, describeReassignment, showValue, summaryLine } from './values.js';

/** GitHub's comment limit is 65,536; keep a margin. */
export const MARKDOWN_LIMIT = 60_000;

const ICON: Record<string, string> = { create: '🟢', update: '🟡', archive: '🔴', 'no-op': '⚪' };

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function detailsOf(ch: Change): string {
  const body: string[] = [];
  if (ch.reason) body.push(`_${ch.reason}_`, '');
  if (ch.reassignment) body.push(`**Reassignment:** ${describeReassignment(ch.reassignment)}`, '');
  if (ch.detail) {
    // A fence longer than any backtick run inside keeps the block intact.
    const fence = '`'.repeat(Math.max(3, ...[...ch.detail.matchAll(/`+/g)].map((m) => m[0].length + 1)));
    body.push(`${fence}diff`, ch.detail, fence, '');
  }
  if (ch.fields.length > 0) {
    body.push('```diff');
    for (const f of ch.fields) {
      if (f.before !== undefined) body.push(`- ${f.path}: ${showValue(f.before, 300)}`);
      if (f.after !== undefined) body.push(`+ ${f.path}: ${showValue(f.after, 300)}`);
    }
    body.push('```');
  }
  return `<details><summary>${ch.kind} <code>${ch.name}</code>: ${actionLabel(ch)} (${ch.fields.length} field${ch.fields.length === 1 ? '' : 's'})</summary>\n\n${body.join('\n')}\n</details>\n`;
}

/** A pull-request comment: summary first, a table, field diffs collapsed; never longer than the limit. */
export function renderPlanMarkdown(plan: Plan, limit = MARKDOWN_LIMIT): string {
  const shown = plan.changes.filter((c) => c.action !== 'no-op' || c.pendingPrune);
  const badges: string[] = [];
  if (plan.summary.archive > 0) badges.push(`⚠️ ${plan.summary.archive} archive${plan.summary.archive === 1 ? '' : 's'}`);
  const moves = shown.filter((c) => c.reassignment && c.reassignment.moved > 0).length;
  if (moves > 0) badges.push(`⚠️ ${moves} reassignment${moves === 1 ? '' : 's'}`);
  const errors = plan.diagnostics.filter((d) => d.severity === 'error').length;
  if (errors > 0) badges.push(`❌ ${errors} error${errors === 1 ? '' : 's'}`);
  const blocked = plan.registry?.decisions.filter((d) => d.outcome === 'blocked').length ?? 0;
  if (blocked > 0) badges.push(`⛔ ${blocked} blocked promotion${blocked === 1 ? '' : 's'}`);
  const registryLine = plan.registry ? ` ${registrySummaryLine(plan.registry)}` : '';
  const summary = `**labctl** — ${summaryLine(plan.summary)}${registryLine}${badges.length ? ' ' + badges.join(' · ') : ''}\n\n`;
  const blocks: string[] = [];
  if (plan.diagnostics.length > 0) {
    blocks.push(
      plan.diagnostics
        .map((d) => `- ${d.severity === 'error' ? '❌' : '⚠️'} \`${d.code}\` ${d.range ? `\`${d.range.filename}:${d.range.start.line}\` ` : ''}${d.summary}${d.hint ? ` — ${d.hint}` : ''}`)
        .join('\n') + '\n\n',
    );
  }
  if (shown.length === 0) blocks.push('No changes. The database matches the specs.\n');
  else {
    blocks.push('| | Kind | Name | Action | Fields |\n|---|---|---|---|---|\n');
    for (const c of shown) blocks.push(`| ${ICON[c.action]} | ${c.kind} | \`${escapeCell(c.name)}\` | ${actionLabel(c)} | ${c.fields.length} |\n`);
    blocks.push('\n');
  }
  // The registry section goes right after the table: promotions matter more than field diffs.
  if (plan.registry) blocks.push('\n' + renderRegistryMarkdown(plan.registry));
  if (plan.decisions?.length) blocks.push('\n' + renderDecisionsMarkdown(plan.decisions));
  for (const c of shown) if (c.fields.length > 0 || c.reason || c.reassignment || c.detail) blocks.push(detailsOf(c));
  const footer = `\n<sub>revision ${plan.revision} · ${plan.git_sha.slice(0, 12)}${plan.git_dirty ? ' + uncommitted changes' : ''}</sub>\n`;
  let out = summary;
  for (let i = 0; i < blocks.length; i++) {
    const rest = blocks.length - i;
    const note = `\n_… truncated: ${rest} more section${rest === 1 ? '' : 's'} not shown. Run \`labctl plan\` for the full plan._\n`;
    if (out.length + blocks[i]!.length + footer.length + note.length > limit) return out + note + footer;
    out += blocks[i];
  }
  return out + footer;
}
