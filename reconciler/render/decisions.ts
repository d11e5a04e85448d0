import type { PlanDecision } from '../../core/types.js';

// Experiment decisions in a plan: what a reviewer (or a scheduled job) should act on.

interface Paint {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

/** "ready to ship green", "stop: guardrail page_error harmed by green …", "keep running: …". */
export function decisionLine(d: PlanDecision): string {
  switch (d.status) {
    case 'ship':
      return `ready to ship ${d.variant}`;
    case 'stop':
      return `stop: ${d.reasons[0] ?? 'see labctl report'}`;
    case 'inconclusive':
      return `inconclusive: ${d.reasons[0] ?? 'no variant met the ship condition in time'}`;
    case 'keep_running':
      return `keep running: ${d.reasons[0] ?? 'no decision yet'}`;
  }
}

/** Whether a decision asks for action (a scheduled job's signal). */
export function actionable(d: PlanDecision): boolean {
  return d.status !== 'keep_running';
}

export function renderDecisionsText(ds: readonly PlanDecision[], c: Paint): string[] {
  if (ds.length === 0) return [];
  const lines = [c.bold('Experiment decisions:')];
  for (const d of ds) {
    const text = decisionLine(d);
    const painted = d.status === 'ship' ? c.green(text) : d.status === 'stop' ? c.red(text) : d.status === 'inconclusive' ? c.yellow(text) : c.dim(text);
    lines.push(`  Experiment ${d.experiment}: ${painted} ${c.dim(`(${d.units.toLocaleString('en-US')} units; labctl report ${d.experiment})`)}`);
  }
  return lines;
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function renderDecisionsMarkdown(ds: readonly PlanDecision[]): string {
  if (ds.length === 0) return '';
  const icon: Record<PlanDecision['status'], string> = { ship: '🟢', stop: '🔴', inconclusive: '🟡', keep_running: '⏳' };
  const rows = ds.map((d) => `| ${icon[d.status]} | \`${escapeCell(d.experiment)}\` | ${escapeCell(decisionLine(d))} | ${d.units} |`);
  return `**Experiment decisions**\n\n| | Experiment | Decision | Units |\n|---|---|---|---:|\n${rows.join('\n')}\n\n`;
}
