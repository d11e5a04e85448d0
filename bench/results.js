// Results benchmark: `labctl report` over 1 million exposed units and 5 million events on
// PostgreSQL (target ≤ 5 s), and how it grows from 10× fewer (100,000 units, 500,000 events).
//   node bench/results.js [--sizes 100000,1000000] [--runs 3] [--keep]   (after npx tsc -p .)
// Data is generated inside PostgreSQL (generate_series): units exposed over the last 14 days, 50/50,
// about 5 events per unit over three event names, a known +10% lift on conversions in "green".
// Timed: computeResult in-process (the aggregate query and the statistics), median of --runs; and
// the real CLI `labctl report --format json`, median of --runs too (process start and migration check included).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openDatabase } from '../dist/adapters/db/index.js';
import { migrate } from '../dist/adapters/db/migrate.js';
import { computeResult } from '../dist/adapters/results/compute.js';
import { median } from './measure.js';
import { BENCH_HOST, createBenchDatabase, dropBenchDatabase } from './pg.js';

const { values: opt } = parseArgs({ options: { sizes: { type: 'string', default: '100000,1000000' }, runs: { type: 'string', default: '3' }, keep: { type: 'boolean', default: false } } });
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'dist', 'cli', 'bin.js');

const SPECS = `kind: Metric
name: checkout
type: conversion
event: checkout_completed
window: 7d
---
kind: Metric
name: revenue
type: sum
event: checkout_completed
cap: { percentile: 0.99 }
---
kind: Metric
name: page-errors
type: count
event: page_error
direction: decrease
---
kind: Metric
name: views
type: count
event: page_view
---
kind: Metric
name: revenue-per-view
type: ratio
numerator: revenue
denominator: views
---
kind: Experiment
name: bench
status: running
unit: user_id
variants:
  - { key: control, weight: 1 }
  - { key: green, weight: 1 }
metrics: { primary: [checkout], secondary: [revenue, revenue-per-view], guardrails: [page-errors] }
decision: { minUnits: 1000 }
`;

/** Monthly partitions covering the generated days (the store creates them on demand; here data is bulk-loaded in SQL). */
async function partitions(db, fromMs, toMs) {
  await db.query('SELECT labctl.ensure_event_partitions($1, $2)', [new Date(fromMs).toISOString(), new Date(toMs).toISOString()]);
}

async function generate(db, units, now) {
  const t0 = now - 14 * 86_400_000;
  await partitions(db, t0 - 86_400_000, now);
  const t = performance.now();
  await db.exec(`
    INSERT INTO labctl.exposures (experiment, phase, unit, variant, revision, first_exposed_at)
    SELECT 'bench', 1, 'u' || g, CASE WHEN g % 2 = 0 THEN 'control' ELSE 'green' END, 'bench',
           to_timestamp(${t0 / 1000} + (g % 1000000) * (14 * 86400.0 / 1000000))
      FROM generate_series(1, ${units}) g`);
  // About 5 events per unit: views (3), conversions (~10% / 11%) with a value, errors (~5%), and
  // some events before exposure and of units never exposed.
  await db.exec(`
    INSERT INTO labctl.events (id, event, ts, attributes, value)
    SELECT 'e' || g, CASE WHEN g % 5 < 3 THEN 'page_view' WHEN g % 5 = 3 THEN 'checkout_completed' ELSE 'page_error' END,
           to_timestamp(${t0 / 1000} + ((g / 5) % 1000000) * (14 * 86400.0 / 1000000) + ((g::bigint * 7919) % 86400) - 3600),
           jsonb_build_object('user_id', 'u' || (CASE WHEN g % 5 = 3 AND random() > CASE WHEN (g / 5) % 2 = 1 THEN 0.55 ELSE 0.5 END THEN ${units} * 10 + g ELSE g / 5 END), 'country', 'NL'),
           CASE WHEN g % 5 = 3 THEN 10 + (g % 90) END
      FROM generate_series(5, ${units * 5 + 4}) g`);
  await db.exec('ANALYZE labctl.exposures');
  await db.exec('ANALYZE labctl.events');
  return (performance.now() - t) / 1000;
}

const sizes = opt.sizes.split(',').map(Number);
const runs = Number(opt.runs);
const rows = [];
const started = new Date().toISOString();
for (const units of sizes) {
  const name = `labctl_bench_results_${units}_${process.pid}`;
  const url = await createBenchDatabase(name);
  const dir = mkdtempSync(join(tmpdir(), 'labctl-bench-results-'));
  try {
    mkdirSync(join(dir, 'experiments'));
    writeFileSync(join(dir, 'experiments', 'bench.yaml'), SPECS);
    execFileSync(process.execPath, [BIN, 'apply'], { cwd: dir, env: { ...process.env, DATABASE_URL: url, LABCTL_ACTOR: 'bench' }, stdio: 'pipe' });
    const db = await openDatabase({ databaseUrl: url, cwd: dir, host: BENCH_HOST });
    await migrate(db);
    const now = Date.now();
    const loadSeconds = await generate(db, units, now);
    // The first report straight after a bulk load also sets every page's hint bits (it writes).
    let t = performance.now();
    await computeResult(db, 'bench', { now, save: false });
    const firstAfterLoadSeconds = (performance.now() - t) / 1000;
    // Then what autovacuum does to a table that has settled: the visibility map and hint bits.
    await db.exec('VACUUM ANALYZE labctl.exposures');
    await db.exec('VACUUM ANALYZE labctl.events');
    const times = [];
    let result;
    for (let i = 0; i < runs; i++) {
      t = performance.now();
      result = await computeResult(db, 'bench', { now });
      times.push((performance.now() - t) / 1000);
    }
    await db.close();
    const cliTimes = [];
    let out;
    for (let i = 0; i < runs; i++) {
      t = performance.now();
      out = execFileSync(process.execPath, [BIN, 'report', 'bench', '--format', 'json'], { cwd: dir, env: { ...process.env, DATABASE_URL: url }, maxBuffer: 1 << 24 });
      cliTimes.push((performance.now() - t) / 1000);
    }
    const cliSeconds = median(cliTimes);
    const cli = JSON.parse(out.toString());
    const checkout = result.metrics.find((m) => m.name === 'checkout').results[0];
    rows.push({ units, events: units * 5, loadSeconds, firstAfterLoadSeconds, computeSeconds: median(times), computeRuns: times, cliSeconds, cliRuns: cliTimes, unitsInResult: result.units, cliUnits: cli.units, lift: checkout.relative, decision: result.decision.status });
  } finally {
    if (!opt.keep) {
      rmSync(dir, { recursive: true, force: true });
      await dropBenchDatabase(name);
    }
  }
}

const f = (x) => x.toFixed(2);
const big = rows[rows.length - 1];
const small = rows[0];
const lines = [
  `Results benchmark ${started} (load average ${loadavg().map((x) => x.toFixed(1)).join(' / ')}, ${cpus().length} CPUs, Node ${process.version}, PostgreSQL)`,
  '',
  '| exposed units | events | first report after the bulk load | report in-process (median) | `labctl report` CLI (median) | target | result |',
  '|---:|---:|---:|---:|---:|---|---|',
  ...rows.map((r) => `| ${r.units.toLocaleString('en-US')} | ${r.events.toLocaleString('en-US')} | ${f(r.firstAfterLoadSeconds)} s | ${f(r.computeSeconds)} s | ${f(r.cliSeconds)} s | ${r === big && r.units >= 1_000_000 ? '≤ 5 s' : 'report'} | ${r === big && r.units >= 1_000_000 ? (r.cliSeconds <= 5 ? 'pass' : 'FAIL') : '—'} |`),
  '',
  rows.length > 1 ? `Growth: ${(big.units / small.units).toFixed(0)}× the data took ${(big.computeSeconds / small.computeSeconds).toFixed(1)}× the time in-process.` : '',
  '',
  JSON.stringify({ started, cpus: cpus().length, node: process.version, rows }),
];
process.stdout.write(lines.join('\n') + '\n');
const out = join(ROOT, 'bench/results');
mkdirSync(out, { recursive: true });
const json = JSON.stringify({ started, cpus: cpus().length, node: process.version, rows }, null, 2) + '\n';
writeFileSync(join(out, `results-${started.replace(/[:.]/g, '-')}.json`), json);
writeFileSync(join(out, 'results-latest.json'), json);
