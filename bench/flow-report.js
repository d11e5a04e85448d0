// Targets and the markdown summary of a flow benchmark result (the tables docs/performance.md shows).

const ms = (x) => (x === undefined ? '–' : `${x.toFixed(x < 10 ? 2 : 1)} ms`);
const int = (x) => (x === undefined ? '–' : Math.round(x).toLocaleString('en-US'));
const STORE = { database: 'database table', redis: 'Redis' };

/** Pass/fail lines: the overhead per store (≤ 2 ms median); concurrent sessions all answered. */
export function flowTargets(result) {
  const targets = [];
  for (const [store, o] of Object.entries(result.overhead)) {
    targets.push({ name: `per-turn overhead over the SDK called directly ≤ 2 ms median (${STORE[store]} sessions)`, measured: `${ms(o.overheadMs)} (${ms(o.labctl.p50)} vs ${ms(o.direct.p50)}; rounds ${ms(o.roundOverheadMs.min)}–${ms(o.roundOverheadMs.max)})`, valueMs: o.overheadMs, limitMs: 2, pass: o.overheadMs <= 2 });
  }
  for (const r of Object.values(result.concurrent)) {
    targets.push({ name: `${int(r.sessions)} concurrent sessions on Redis, ${r.turnsPerSession} turns each, ${int(r.concurrency)} in flight: every turn answered, one model call each (no figure is set for throughput, p99 or memory)`, measured: `${int(r.turnsPerSecond)} turns/s, p99 ${ms(r.turns.p99)}, RSS ${int(r.memoryMB.beforeRun)} → ${int(r.memoryMB.afterRun)} MB; ${r.failed} failed`, pass: r.failed === 0 && r.modelCalls === r.turns.n });
  }
  return targets;
}

const PARTS = [
  ['http', 'HTTP: request, routing, JSON answer, client'],
  ['storeGet', 'session store: read'],
  ['model', 'model call (provider adapter + SDK + model server)'],
  ['storeUpdate', 'session store: compare-and-set write'],
  ['stepLog', 'step log: INSERT into PostgreSQL'],
  ['rest', 'the rest of the turn (engine, prompt, records)'],
];

export function flowMarkdown(result) {
  const m = result.meta;
  const c = result.config;
  const lines = [
    `Flow benchmark ${m.startedAt} on ${m.nproc} CPUs (${m.cpuModel}), Node ${m.node}, PostgreSQL ${m.postgres}, Redis ${m.redis}; labctl ${m.labctlCommit}${m.labctlDirty ? ' (with uncommitted changes)' : ''}${m.dist !== 'dist' ? ` (build ${m.dist})` : ''}; load average ${m.loadStart.map((x) => x.toFixed(1)).join(' / ')} at start, ${m.loadEnd.map((x) => x.toFixed(1)).join(' / ')} at end; ${m.seconds} s.`,
    '',
  ];
  if (Object.keys(result.overhead).length) {
    lines.push(
      `Per turn, one at a time: ${int(c.pairs)} of each, interleaved in ${c.rounds} rounds after ${c.warmup} of warm-up; sessions of ${c.sessionTurns} turns; one model call per turn.`,
      '',
      '| session store | (a) labctl turn over HTTP p50 / p90 / p99 | (b) SDK `messages.create` direct p50 / p90 / p99 | (c) bare HTTP POST to the model server p50 | overhead median(a) − median(b) | per round (min–max) | serve CPU per turn |',
      '|---|---:|---:|---:|---:|---:|---:|',
    );
    for (const o of Object.values(result.overhead)) lines.push(`| ${STORE[o.store]} | ${ms(o.labctl.p50)} / ${ms(o.labctl.p90)} / ${ms(o.labctl.p99)} | ${ms(o.direct.p50)} / ${ms(o.direct.p90)} / ${ms(o.direct.p99)} | ${ms(o.raw.p50)} | ${ms(o.overheadMs)} | ${ms(o.roundOverheadMs.min)}–${ms(o.roundOverheadMs.max)} | ${int(o.serveCpuUsPerTurn)} µs |`);
    lines.push('');
  }
  const b = Object.values(result.breakdown);
  if (b.length) {
    lines.push(`Where a turn's time goes (runtime in-process with timers, ${int(b[0].turns)} turns one at a time; medians per part, so they need not add up to the turn):`, '', `| part | ${b.map((x) => STORE[x.store]).join(' | ')} |`, `|---|${b.map(() => '---:').join('|')}|`);
    lines.push(`| **whole turn, at the client** | ${b.map((x) => `**${ms(x.medianMs.turn)}**`).join(' | ')} |`);
    for (const [k, label] of PARTS) lines.push(`| ${label} | ${b.map((x) => ms(x.medianMs[k])).join(' | ')} |`);
    lines.push('');
  }
  if (Object.keys(result.concurrent).length) {
    lines.push(
      `Concurrent sessions on Redis: ${int(c.sessions)} sessions started, then ${c.turns} turns each (a session's next when its answer is back), after a warm-up of 100 × 3; a fresh serve per row.`,
      '',
      '| in flight | turns/s | turn p50 | p90 | p99 | max | starts/s (p99) | CPU: serve / PostgreSQL / Redis / model server / client (% of one core) / machine (% of all cores) | serve CPU per request | serve RSS: start / before / after / peak | serve heap after GC: before / after | failed |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const r of Object.values(result.concurrent)) {
      const mb = r.memoryMB;
      const p = r.cpuPercent;
      lines.push(`| ${int(r.concurrency)} | ${int(r.turnsPerSecond)} | ${ms(r.turns.p50)} | ${ms(r.turns.p90)} | ${ms(r.turns.p99)} | ${ms(r.turns.max)} | ${int(r.startsPerSecond)} (${ms(r.starts.p99)}) | ${int(p.serve)}% / ${int(p.postgres)}% / ${int(p.redis)}% / ${int(p.modelServer)}% / ${int(p.client)}% / ${int(p.machine)}% | ${int(r.serveCpuUsPerTurn)} µs | ${int(mb.atStart)} / ${int(mb.beforeRun)} / ${int(mb.afterRun)} / ${int(mb.peak)} MB | ${int(mb.heapBeforeRun)} / ${int(mb.heapAfterRun)} MB | ${r.failed} |`);
    }
    lines.push('');
  }
  lines.push('| target | measured | result |', '|---|---:|---|', ...result.targets.map((t) => `| ${t.name} | ${t.measured} | ${t.pass ? '**pass**' : '**FAIL**'} |`), '');
  return lines.join('\n');
}
