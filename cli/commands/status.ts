import { createColors } from 'picocolors';
import { computeDecisions } from '../../adapters/results/compute.js';
import { countPending } from '../../adapters/state/journal.js';
import { actionable, renderDecisionsText } from '../../reconciler/render/decisions.js';
import { readStatus } from '../../adapters/state/state.js';
import { readWatchers } from '../../adapters/state/watchers.js';
import { withDatabase, withResultsReader } from '../context.js';
import { EXIT, useColor, type CliIO } from '../io.js';

/**
 * labctl status: applied revision, last run, counts per kind, drift, watchers, and the decisions of
 * running experiments that declare one. --detailed-exitcode: 2 when a decision asks for action
 * (ship, stop, inconclusive), so a scheduled job can notice.
 */
export async function statusCommand(io: CliIO, flags: { json?: boolean; detailedExitcode?: boolean }): Promise<number> {
  const { report, target, watchers, mlflowPending, decisions } = await withResultsReader(io, 'status', (reader) => withDatabase(io, 'status', async (db) => ({
    report: await readStatus(db),
    watchers: await readWatchers(db),
    target: `${db.engine} ${db.target}`,
    mlflowPending: await countPending(db),
    decisions: await computeDecisions(db, { aggregateOn: reader }),
  })));
  const code = flags.detailedExitcode && decisions.decisions.some(actionable) ? EXIT.changes : EXIT.ok;
  if (flags.json) {
    io.stdout.write(JSON.stringify({ database: target, ...report, mlflowPending, watchers, decisions: decisions.decisions, decisionErrors: decisions.errors }, null, 2) + '\n');
    return code;
  }
  const c = createColors(useColor(io));
  const lines = [`Database:  ${target}`];
  lines.push(report.revision ? `Revision:  ${report.revision} (git ${report.gitSha?.slice(0, 12)}${report.gitDirty ? c.yellow(' + uncommitted changes') : ''}, applied ${report.appliedAt})` : 'Revision:  nothing applied yet');
  if (report.lastRun) {
    const r = report.lastRun;
    const outcome = r.outcome === 'applied' || r.outcome === 'no-op' ? c.green(r.outcome) : c.red(r.outcome);
    lines.push(`Last run:  #${r.id} ${outcome} by ${r.actor} at ${r.startedAt}${r.error ? ` — ${r.error}` : ''}`);
  }
  if (report.counts.length) {
    lines.push('Resources:');
    for (const k of report.counts) lines.push(`  ${k.kind.padEnd(16)} ${String(k.active).padStart(6)} active${k.archived ? `, ${k.archived} archived` : ''}`);
  }
  lines.push(report.drift.length ? c.yellow(`Drift:     ${report.drift.length} resource(s) edited outside labctl: ${report.drift.map((d) => `${d.kind}/${d.name}`).join(', ')} (labctl apply restores them)`) : 'Drift:     none');
  if (mlflowPending > 0) lines.push(c.yellow(`MLflow:    ${mlflowPending} step(s) pending from an interrupted apply (labctl apply --resume completes them)`));
  if (watchers.length === 0) lines.push('Watchers:  none running');
  for (const w of watchers) {
    const err = w.lastError ? ` — last error at ${w.lastErrorAt}: ${w.lastError}` : '';
    lines.push(`Watcher:   ${w.leader ? c.bold('leader ') : 'standby'} ${w.state} ${w.source} (pid ${w.pid} on ${w.host}; applied ${w.lastAppliedRevision ?? '-'}, attempted ${w.lastAttemptedRevision ?? '-'})${err}`);
  }
  lines.push(...renderDecisionsText(decisions.decisions, c));
  for (const e of decisions.errors) lines.push(c.yellow(`Experiment ${e.experiment}: result unavailable: ${e.message}`));
  io.stdout.write(lines.join('\n') + '\n');
  return code;
}
