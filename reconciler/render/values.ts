import type { Change, Json, ReassignmentImpact } from '../../core/types.js';

/** Compact one-line rendering of a JSON value, cut at max characters. */
export function showValue(v: Json | undefined, max = 120): string {
  if (v === undefined) return '(absent)';
  const s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v);
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

/** Percentage with two decimals. */
export function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

/** One sentence on a reassignment impact. */
export function describeReassignment(r: ReassignmentImpact): string {
  const approx = r.estimated ? '≈' : '';
  const parts = [`${approx}${pct(r.moved)} of units move to another variant or leave`];
  if (r.entering > 0) parts.push(`${approx}${pct(r.entering)} enter`);
  return `${parts.join(', ')} (changed: ${r.causes.join(', ')})${r.acknowledged ? '; acknowledged by the phase bump' : r.moved > 0 ? '; NOT acknowledged' : ''}`;
}

/** Verb for a change as shown to people. */
export function actionLabel(c: Change): string {
  if (c.pendingPrune) return 'would archive with --prune';
  if (c.action === 'create' && c.before) return 'restore';
  return c.action;
}

/** The summary sentence shared by every renderer. */
export function summaryLine(s: { add: number; change: number; archive: number; wouldArchive: number }): string {
  const base = `Plan: ${s.add} to add, ${s.change} to change, ${s.archive} to archive.`;
  return s.wouldArchive > 0 ? `${base} ${s.wouldArchive} not in git (would archive with --prune).` : base;
}
