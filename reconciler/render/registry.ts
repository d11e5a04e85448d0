/** The model-registry section of a plan, for the terminal and for pull-request comments. Pure. */
import { createColors } from 'picocolors';
import type { GateResult, PromotionDecision, RegistryPlan, RegistryStep } from '../../core/registry.js';

type Paint = Pick<ReturnType<typeof createColors>, 'green' | 'red' | 'yellow' | 'dim' | 'bold' | 'cyan' | 'magenta'>;
const plain: Paint = createColors(false);

/** One line per step that is not a promotion (promotions are shown with their decision). */
function stepLine(s: RegistryStep): string | undefined {
  switch (s.op) {
    case 'create-model':
      return `+ create registered model ${s.mlflowName}${Object.keys(s.tags).length ? ` with tags ${Object.entries(s.tags).map(([k, v]) => `${k}=${v}`).join(', ')}` : ''}`;
    case 'set-description':
      return `~ ${s.mlflowName}: description ${JSON.stringify(s.before)} → ${JSON.stringify(s.description)}`;
    case 'set-model-tag':
      return `~ ${s.mlflowName}: tag ${s.key} ${s.before === undefined ? '(unset)' : JSON.stringify(s.before)} → ${JSON.stringify(s.value)}`;
    case 'delete-model-tag':
      return `- ${s.mlflowName}: tag ${s.key} ${JSON.stringify(s.before)} (removed from the spec)`;
    case 'set-alias':
      if (s.policy !== undefined) return undefined;
      return `~ ${s.mlflowName}: alias ${s.alias} → version ${s.version} (${s.from === null ? 'not set' : `was version ${s.from}`})${s.reason === 'restore' ? ' — moved by hand; pinned in git, restored' : ' — pinned'}`;
  }
}

export function gateLine(g: GateResult): string {
  return `${g.skipped ? '–' : g.passed ? '✓' : '✗'} ${g.text}`;
}

const OUTCOME_MARK: Record<PromotionDecision['outcome'], string> = {
  promote: '⇑',
  blocked: '✗',
  current: '=',
  'no-candidate': '·',
  waiting: '·',
  held: '!',
  restore: '↺',
};

/** Counts for the summary line. */
export function registryCounts(r: RegistryPlan): { promotions: number; blocked: number; steps: number } {
  return {
    promotions: r.steps.filter((s) => s.op === 'set-alias' && s.reason === 'promotion').length,
    blocked: r.decisions.filter((d) => d.outcome === 'blocked').length,
    steps: r.steps.length,
  };
}

/** `MLflow: 1 promotion, 1 blocked, 3 steps.` */
export function registrySummaryLine(r: RegistryPlan): string {
  if (r.status === 'skipped') return `MLflow: skipped (${r.reason ?? 'not configured'}); ${r.declared.models.length} model(s) and ${r.declared.policies.length} polic${r.declared.policies.length === 1 ? 'y' : 'ies'} not checked.`;
  const c = registryCounts(r);
  const parts = [`${c.steps} step${c.steps === 1 ? '' : 's'}`, `${c.promotions} promotion${c.promotions === 1 ? '' : 's'}`];
  if (c.blocked > 0) parts.push(`${c.blocked} blocked`);
  return `MLflow: ${parts.join(', ')}.`;
}

/** The registry section for a terminal (lines without trailing newline). */
export function renderRegistryText(r: RegistryPlan, paint: Paint = plain): string[] {
  const lines: string[] = [];
  if (r.status === 'skipped') {
    lines.push(paint.bold(`Model registry: ${r.reason === 'MLflow not configured' ? 'skipped: MLflow not configured' : `skipped: ${r.reason ?? ''}`}`));
    for (const m of r.declared.models) lines.push(`  · Model ${m}: skipped: MLflow not configured`);
    for (const p of r.declared.policies) lines.push(`  · PromotionPolicy ${p}: skipped: MLflow not configured`);
    lines.push(paint.dim('  set MLFLOW_TRACKING_URI (and MLFLOW_TRACKING_TOKEN or USERNAME/PASSWORD) to plan them'));
    return lines;
  }
  lines.push(paint.bold(`Model registry (MLflow at ${r.trackingUri ?? '?'}):`));
  const shown = r.steps.map(stepLine).filter((l): l is string => l !== undefined);
  for (const l of shown) lines.push(`  ${l.startsWith('+') ? paint.green(l) : l.startsWith('-') ? paint.red(l) : paint.yellow(l)}`);
  for (const d of r.decisions) {
    const head = `${OUTCOME_MARK[d.outcome]} policy ${d.policy}: ${d.message}`;
    const colour = d.outcome === 'promote' ? paint.green : d.outcome === 'blocked' || d.outcome === 'held' ? paint.red : d.outcome === 'restore' ? paint.yellow : paint.dim;
    lines.push(`  ${colour(head)}`);
    for (const g of d.gates) lines.push(`      ${g.skipped ? paint.dim(gateLine(g)) : g.passed ? paint.green(gateLine(g)) : paint.red(gateLine(g))}`);
  }
  for (const n of r.notes) if (!r.decisions.some((d) => n.message === `policy ${d.policy}: ${d.message}`)) lines.push(`  ${n.level === 'warning' ? paint.magenta('! ') : '  '}${n.model}: ${n.message}`);
  if (shown.length === 0 && r.decisions.length === 0) lines.push(paint.dim('  nothing to do: MLflow matches the specs'));
  return lines;
}

/** The registry section of a pull-request comment. */
export function renderRegistryMarkdown(r: RegistryPlan): string {
  const out: string[] = ['#### Model registry', ''];
  if (r.status === 'skipped') {
    out.push(`_skipped: MLflow not configured_ — ${r.declared.models.length} model(s) and ${r.declared.policies.length} polic${r.declared.policies.length === 1 ? 'y' : 'ies'} not checked.`, '');
    return out.join('\n') + '\n';
  }
  for (const l of r.steps.map(stepLine).filter((l): l is string => l !== undefined)) out.push(`- ${l.replace(/^[+~-] /, '')}`);
  for (const d of r.decisions) {
    out.push(`- ${d.outcome === 'promote' ? '⬆️' : d.outcome === 'blocked' ? '⛔' : d.outcome === 'held' ? '⚠️' : d.outcome === 'restore' ? '↩️' : '⚪'} **${d.policy}**: ${d.message}`);
    for (const g of d.gates) out.push(`  - ${gateLine(g)}`);
  }
  for (const n of r.notes) if (!r.decisions.some((d) => n.message === `policy ${d.policy}: ${d.message}`)) out.push(`- ⚠️ ${n.model}: ${n.message}`);
  if (r.steps.length === 0 && r.decisions.length === 0) out.push('_MLflow matches the specs._');
  return out.join('\n') + '\n\n';
}
