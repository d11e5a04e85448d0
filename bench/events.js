// Event ingestion benchmark on PostgreSQL, three ways of storing the same rows side by side:
//   (a) http    POST /v1/events on a real `labctl serve` (spawned), batches of --batch events from
//               --clients concurrent clients over keep-alive connections;
//   (b) direct  the same batches straight into PostgreSQL with the store's deduplicating statement
//               (insertEvents: one unnest-based INSERT … ON CONFLICT DO NOTHING RETURNING feeding
//               the insert into labctl.events), --clients concurrent callers on a pool of 4 like serve's;
//   (c) copy    COPY each batch into a per-connection temporary staging table, then the same
//               deduplicating insert from the staging table, in one transaction per batch.
// Rows/s of each (median of --rounds, interleaved), the batch latency p50/p99, and a/b (target ≥ 50%).
//   node bench/events.js [--rows 200000] [--batch 500] [--clients 8] [--rounds 3] [--keep]   (after npx tsc -p .)
// Environment: BENCH_DATABASE_URL (else TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test)
// names a server where the benchmark may CREATE and DROP its own database (labctl_bench_events_*).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { openDatabase } from '../dist/adapters/db/index.js';
import { migrate } from '../dist/adapters/db/migrate.js';
import { ensurePartitionsAhead } from '../dist/adapters/events/partitions.js';
import { insertEvents } from '../dist/adapters/events/store.js';
import { median } from './measure.js';
import { BENCH_HOST, createBenchDatabase, dropBenchDatabase } from './pg.js';
import { startServe, stopProcess } from './procs.js';

const { values: opt } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '500' },
    clients: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
  },
});
const ROWS = Number(opt.rows);
const BATCH = Number(opt.batch);
const CLIENTS = Number(opt.clients);
const ROUNDS = Number(opt.rounds);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const log = (line) => process.stderr.write(`${line}\n`);

const NAMES = ['page_view', 'page_view', 'page_view', 'checkout_completed', 'page_error'];

/** ROWS events as a client sends them and as the store receives them, in batches; ids unique per round. */
function generate(round, now) {
  const batches = [];
  for (let b = 0; b * BATCH < ROWS; b++) {
    const wire = [];
    const valid = [];
    for (let i = b * BATCH; i < Math.min(ROWS, (b + 1) * BATCH); i++) {
      const event = NAMES[i % NAMES.length];
      const ts = now - ((i * 7919) % 3_600_000);
      const attributes = { user_id: `u${(i * 31) % 100_000}`, country: i % 3 ? 'NL' : 'DE' };
      const value = event === 'checkout_completed' ? 10 + (i % 90) : null;
      const properties = event === 'checkout_completed' ? { currency: 'EUR', items: 1 + (i % 4) } : null;
      const id = `r${round}-${i.toString(36)}-${((i * 2654435761) >>> 0).toString(16)}`;
      wire.push({ id, event, attributes, ...(value !== null ? { value } : {}), timestamp: new Date(ts).toISOString(), ...(properties ? { properties } : {}) });
      valid.push({ id, event, attributes, value, ts, properties });
    }
    batches.push({ body: JSON.stringify({ events: wire }), valid });
  }
  return batches;
}

/** Run the batches through `send` from CLIENTS concurrent loops; rows/s and batch latencies. */
async function drive(batches, send) {
  let next = 0;
  let stored = 0;
  const latencies = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (;;) {
        const i = next++;
        if (i >= batches.length) return;
        const t = performance.now();
        const n = await send(batches[i]);
        stored += n;
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { rows: stored, seconds, rowsPerSecond: stored / seconds, p50Ms: pct(0.5), p99Ms: pct(0.99) };
}

function postBatch(agent, port, body) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/v1/events', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`POST /v1/events answered ${res.statusCode}: ${text.slice(0, 300)}`));
        const r = JSON.parse(text);
        if (r.rejected.length || r.duplicates) return reject(new Error(`unexpected answer ${text.slice(0, 300)}`));
        resolve(r.accepted);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

// COPY text format: backslash, tab, newline and carriage return escaped; \N is NULL.
const copyText = (s) => (s === null ? '\\N' : s.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]));
const copyLine = (e) => [e.id, e.event, new Date(e.ts).toISOString(), JSON.stringify(e.attributes), e.value === null ? null : String(e.value), e.properties === null ? null : JSON.stringify(e.properties)].map(copyText).join('\t') + '\n';

const STAGING = `CREATE TEMP TABLE IF NOT EXISTS event_staging (
  id text, event text, ts timestamptz, attributes jsonb, value double precision, properties jsonb
) ON COMMIT DELETE ROWS`;
const FROM_STAGING = `
WITH fresh AS (
  INSERT INTO labctl.event_ids (id, ts)
  SELECT id, ts FROM event_staging ORDER BY id
  ON CONFLICT (id) DO NOTHING
  RETURNING id
),
stored AS (
  INSERT INTO labctl.events (id, event, ts, attributes, value, properties)
  SELECT s.id, s.event, s.ts, s.attributes, s.value, s.properties FROM event_staging s JOIN fresh f ON f.id = s.id ORDER BY s.id
  RETURNING 1
)
SELECT count(*)::int AS accepted FROM stored`;

async function copyBatch(pool, staged, batch) {
  const client = await pool.connect();
  try {
    if (!staged.has(client)) {
      await client.query(STAGING);
      staged.add(client);
    }
    await client.query('BEGIN');
    // Repeated ids within a batch are dropped before COPY, as insertEvents does.
    const seen = new Set();
    const lines = [];
    for (const e of batch.valid) if (!seen.has(e.id)) seen.add(e.id) && lines.push(copyLine(e));
    await pipeline(Readable.from([lines.join('')]), client.query(copyStreams.from('COPY event_staging FROM STDIN')));
    const r = await client.query(FROM_STAGING);
    await client.query('COMMIT');
    return r.rows[0].accepted;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

const started = new Date().toISOString();
const load0 = loadavg();
const name = `labctl_bench_events_${process.pid}`;
const url = await createBenchDatabase(name);
const dir = mkdtempSync(join(tmpdir(), 'labctl-bench-events-'));
const runs = { http: [], direct: [], copy: [] };
let serve;
let db;
let pool;
try {
  db = await openDatabase({ databaseUrl: url, cwd: dir, applicationName: 'labctl bench events', host: BENCH_HOST });
  await migrate(db);
  const now = Date.now();
  await ensurePartitionsAhead(db, now);
  serve = await startServe({ env: { ...process.env, DATABASE_URL: url, LABCTL_INGEST_TOKEN: '', LABCTL_EVENT_RETENTION: '' }, cwd: dir });
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  pool = new pg.Pool({ connectionString: url, max: 4, application_name: 'labctl bench copy' });
  const staged = new Set();
  const methods = {
    http: (b) => postBatch(agent, serve.port, b.body),
    direct: (b) => insertEvents(db, b.valid).then((r) => r.accepted),
    copy: (b) => copyBatch(pool, staged, b),
  };
  // Warm-up: a few batches through each path (connections, plans, JIT of the server).
  const warm = generate(99, now).slice(0, 3 * CLIENTS);
  for (const [j, send] of Object.values(methods).entries()) await drive(warm.slice(j * CLIENTS, (j + 1) * CLIENTS), send);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [k, send] of Object.entries(methods)) {
      await db.exec('TRUNCATE labctl.events, labctl.event_ids');
      await db.exec('VACUUM ANALYZE labctl.event_ids');
      const batches = generate(round * 3 + Object.keys(methods).indexOf(k), now);
      const r = await drive(batches, send);
      if (r.rows !== ROWS) throw new Error(`${k}: stored ${r.rows} of ${ROWS} rows`);
      const [{ n }] = await db.query('SELECT count(*)::int AS n FROM labctl.events');
      if (n !== ROWS) throw new Error(`${k}: the table holds ${n} rows, expected ${ROWS}`);
      runs[k].push(r);
      log(`round ${round + 1}/${ROUNDS} ${k}: ${Math.round(r.rowsPerSecond).toLocaleString('en-US')} rows/s (${r.seconds.toFixed(2)} s; batch p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms)`);
    }
  }
  agent.destroy();
} finally {
  await stopProcess(serve);
  await pool?.end();
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
  if (!opt.keep) await dropBenchDatabase(name);
}

const summary = Object.fromEntries(
  Object.entries(runs).map(([k, rs]) => [k, { rowsPerSecond: median(rs.map((r) => r.rowsPerSecond)), p50Ms: median(rs.map((r) => r.p50Ms)), p99Ms: median(rs.map((r) => r.p99Ms)), runs: rs }]),
);
const ratio = summary.http.rowsPerSecond / summary.direct.rowsPerSecond;
const copyVsDirect = summary.copy.rowsPerSecond / summary.direct.rowsPerSecond;
const result = { started, cpus: cpus().length, node: process.version, loadavg: load0, config: { rows: ROWS, batch: BATCH, clients: CLIENTS, rounds: ROUNDS }, ...summary, httpOverDirect: ratio, copyOverDirect: copyVsDirect };
const f = (x) => Math.round(x).toLocaleString('en-US');
const ms = (x) => `${x.toFixed(1)} ms`;
process.stdout.write(
  [
    `Event ingestion benchmark ${started} (load average ${load0.map((x) => x.toFixed(1)).join(' / ')}, ${cpus().length} CPUs, Node ${process.version}, PostgreSQL)`,
    `${f(ROWS)} events per run in batches of ${BATCH} from ${CLIENTS} concurrent clients; median of ${ROUNDS} interleaved rounds, each on empty tables`,
    '',
    '| path | rows/s | batch p50 | batch p99 | vs direct |',
    '|---|---:|---:|---:|---:|',
    `| (a) POST /v1/events on labctl serve | ${f(summary.http.rowsPerSecond)} | ${ms(summary.http.p50Ms)} | ${ms(summary.http.p99Ms)} | ${(ratio * 100).toFixed(0)}% (target ≥ 50%: ${ratio >= 0.5 ? 'pass' : 'FAIL'}) |`,
    `| (b) direct, the store's unnest statement | ${f(summary.direct.rowsPerSecond)} | ${ms(summary.direct.p50Ms)} | ${ms(summary.direct.p99Ms)} | 100% |`,
    `| (c) COPY into a staging table, then the same dedupe | ${f(summary.copy.rowsPerSecond)} | ${ms(summary.copy.p50Ms)} | ${ms(summary.copy.p99Ms)} | ${(copyVsDirect * 100).toFixed(0)}% |`,
    '',
    JSON.stringify(result),
  ].join('\n') + '\n',
);
const out = join(ROOT, 'bench/results');
mkdirSync(out, { recursive: true });
const stamp = started.replace(/[:.]/g, '-');
writeFileSync(join(out, `events-${stamp}.json`), JSON.stringify(result, null, 2) + '\n');
writeFileSync(join(out, 'events-latest.json'), JSON.stringify(result, null, 2) + '\n');
