// Flow benchmark (issue: conversation flows, "Performance"). Part of `npm run bench`; alone:
//   node bench/flows.js [options]   (after npm run build)
//
// The flow (bench/flow-project.js) makes one model call per turn: `say: { prompt }` on the
// anthropic provider, ANTHROPIC_BASE_URL pointing at bench/llm-server.js, a local Messages API
// server in its own process that answers at once. `labctl serve` runs on PostgreSQL.
//
// overhead    bench/flow-overhead.js: (a) a turn through `labctl serve` over HTTP against (b) the
//             SDK's `messages.create` called directly with the same request against the same
//             server, and (c) a bare HTTP POST of it; one at a time, interleaved in rounds;
//             overhead = median(a) − median(b), target ≤ 2 ms. Per session store (database, Redis).
// breakdown   bench/flow-breakdown.js: the same turns with the runtime in-process and timers
//             around the session store, the model call and the step log: where the time goes.
// concurrent  bench/flow-sessions.js: 1,000 sessions on Redis, each sending --turns messages,
//             at most --concurrency requests in flight (1000: every session has one in flight;
//             200: a front end's connection pool). Turns/s, p50/p99, CPU and memory of serve.
//
// Options: --only overhead,breakdown,concurrent   --stores database,redis
//          --pairs 2000 --rounds 10 --warmup 200 --session-turns 10   (overhead, breakdown)
//          --sessions 1000 --turns 5 --concurrency 1000,200           (concurrent)
//          --cpu-prof DIR   serve writes a CPU profile per run there (node --cpu-prof)
//          --dist DIR       benchmark another build of labctl (default dist/)   --keep
// Results: bench/results/flows-<timestamp>.json and flows-latest.json; a markdown summary is printed.
// Environment: BENCH_DATABASE_URL (else TEST_DATABASE_URL, else the local PostgreSQL), where the
// benchmark creates and drops its own database; REDIS_URL (default redis://127.0.0.1:6379), from
// which it deletes the sessions it made.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createClient } from 'redis';

const { values: opt } = parseArgs({
  options: {
    only: { type: 'string', default: 'overhead,breakdown,concurrent' },
    stores: { type: 'string', default: 'database,redis' },
    pairs: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '200' },
    'session-turns': { type: 'string', default: '10' },
    sessions: { type: 'string', default: '1000' },
    turns: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '1000,200' },
    'cpu-prof': { type: 'string' },
    dist: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const parts = new Set(opt.only.split(','));
for (const p of parts) {
  if (!['overhead', 'breakdown', 'concurrent'].includes(p)) {
    process.stderr.write(`--only: unknown part "${p}"; the parts are overhead, breakdown, concurrent\n`);
    process.exit(2);
  }
}
// measure.js (and so procs.js) read the build to run from the environment when first imported.
if (opt.dist) process.env.LABCTL_BENCH_DIST = resolvePath(opt.dist);
const { runCliOnce } = await import('./measure.js');
const { nodeJson, startProcess, startServe, stopProcess } = await import('./procs.js');
const { createBenchDatabase, dropBenchDatabase } = await import('./pg.js');
const { FlowHttp } = await import('./flow-client.js');
const { ANSWER, FILES, FLOW } = await import('./flow-project.js');
const { sideBySide } = await import('./flow-overhead.js');
const { concurrentSessions } = await import('./flow-sessions.js');
const { flowMarkdown, flowTargets } = await import('./flow-report.js');

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HERE = fileURLToPath(new URL('.', import.meta.url));
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const SESSION_PREFIX = 'labctl:session:'; // adapters/sessions/redis.ts
const T0 = performance.now();
const log = (m) => process.stderr.write(`[${((performance.now() - T0) / 1000).toFixed(0)}s] ${m}\n`);
const sh = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
};

const config = {
  stores: opt.stores.split(','),
  pairs: Number(opt.pairs),
  rounds: Number(opt.rounds),
  warmup: Number(opt.warmup),
  sessionTurns: Number(opt['session-turns']),
  sessions: Number(opt.sessions),
  turns: Number(opt.turns),
  concurrency: opt.concurrency.split(',').map(Number),
};
const started = new Date().toISOString();
const result = {
  meta: {
    startedAt: started,
    nproc: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadStart: loadavg(),
    labctlCommit: sh('git', ['rev-parse', '--short', 'HEAD']) ?? 'unknown',
    labctlDirty: (sh('git', ['status', '--porcelain', '--', 'core', 'engine', 'kinds', 'adapters', 'runtime', 'cli']) ?? '') !== '',
    dist: process.env.LABCTL_BENCH_DIST ?? 'dist',
    parts: [...parts],
  },
  config,
  overhead: {},
  breakdown: {},
  concurrent: {},
  targets: [],
};

const dbName = `labctl_bench_flows_${process.pid}`;
const work = mkdtempSync(join(tmpdir(), 'labctl-bench-flows-'));
const redis = createClient({ url: REDIS_URL });
redis.on('error', () => undefined);
await redis.connect();
result.meta.redis = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1];
const made = []; // sessions in Redis, deleted at the end
const serves = [];
let llm;
let pgc;
try {
  const dbUrl = await createBenchDatabase(dbName);
  pgc = new pg.Client({ connectionString: dbUrl });
  pgc.on('error', () => undefined); // the database is dropped WITH (FORCE) at the end
  await pgc.connect();
  result.meta.postgres = (await pgc.query('SHOW server_version')).rows[0].server_version.replace(/^(\S+).*/, '$1');
  for (const [rel, text] of Object.entries(FILES)) {
    mkdirSync(join(work, rel, '..'), { recursive: true });
    writeFileSync(join(work, rel), text);
  }
  const env = { ...process.env, NO_COLOR: '1', LABCTL_ACTOR: 'bench', DATABASE_URL: dbUrl };
  delete env.REDIS_URL;
  delete env.LABCTL_DEBUG;
  const applied = await runCliOnce(['apply'], { cwd: work, env });
  if (applied.code !== 0) throw new Error(`labctl apply exited ${applied.code}: ${applied.stderr}${applied.stdout}`);
  llm = await startProcess([process.execPath, join(HERE, 'llm-server.js'), ANSWER], { env, ready: /^(\d+)$/m, name: 'bench model server' });
  llm.url = `http://127.0.0.1:${llm.match}`;
  const serveEnv = (store) => ({ ...env, ANTHROPIC_API_KEY: 'sk-ant-bench', ANTHROPIC_BASE_URL: llm.url, ...(store === 'redis' ? { REDIS_URL } : {}) });
  const profArgs = opt['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', resolvePath(opt['cpu-prof'])] : [];

  /** `labctl serve` with a store; the heap probe when asked. Checks the store is the one in use. */
  const serve = async (store, probeHeap = false) => {
    const heapOut = join(work, `heap-${serves.length}.json`);
    const nodeArgs = [...profArgs, ...(probeHeap ? ['--expose-gc', '--import', new URL('./heap-probe.js', import.meta.url).href] : [])];
    const s = await startServe({ env: { ...serveEnv(store), LABCTL_BENCH_HEAP_OUT: heapOut }, cwd: work, nodeArgs });
    s.heapOut = heapOut;
    serves.push(s);
    // Where a new session is: a Redis key, or a row of labctl.flow_sessions.
    const http = new FlowHttp(s.url, 1);
    const probe = (await http.start(FLOW, { user_id: 'probe' })).body.session;
    http.close();
    const inRedis = (await redis.exists(SESSION_PREFIX + probe)) === 1;
    const inDb = (await pgc.query('SELECT 1 FROM labctl.flow_sessions WHERE id = $1', [probe])).rowCount === 1;
    if (inRedis !== (store === 'redis') || inDb !== (store === 'database')) throw new Error(`serve with the ${store} store put its session in ${inRedis ? 'Redis' : inDb ? 'the database' : 'neither'}`);
    if (inRedis) made.push(probe);
    return s;
  };

  if (parts.has('overhead')) {
    for (const store of config.stores) {
      const s = await serve(store);
      const { sessions, ...o } = await sideBySide(s, llm.url, { store, pairs: config.pairs, rounds: config.rounds, warmup: config.warmup, sessionTurns: config.sessionTurns, log });
      if (store === 'redis') made.push(...sessions);
      result.overhead[store] = o;
      log(`${store}: labctl turn ${o.labctl.p50.toFixed(2)} ms, direct SDK ${o.direct.p50.toFixed(2)} ms (medians): overhead ${o.overheadMs.toFixed(2)} ms; serve ${o.serveCpuUsPerTurn.toFixed(0)} µs CPU per turn`);
      await stopProcess(s);
    }
  }
  if (parts.has('breakdown')) {
    for (const store of config.stores) {
      const b = await nodeJson(join(HERE, 'flow-breakdown.js'), [JSON.stringify({ databaseUrl: dbUrl, dir: work, llmUrl: llm.url, store, redisUrl: REDIS_URL, turns: Math.min(config.pairs, 1000), warmup: config.warmup, sessionTurns: config.sessionTurns })], { env, cwd: work });
      if (store === 'redis') made.push(...b.sessions);
      delete b.sessions;
      result.breakdown[store] = b;
      log(`${store} breakdown (medians): ${Object.entries(b.medianMs).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')} ms`);
    }
  }
  if (parts.has('concurrent')) {
    for (const c of config.concurrency) {
      const s = await serve('redis', true);
      const r = (result.concurrent[c] = await concurrentSessions(s, llm, { sessions: config.sessions, turns: config.turns, concurrency: c, made }));
      log(`${config.sessions} sessions × ${config.turns} turns, ${c} in flight: ${Math.round(r.turnsPerSecond)} turns/s, p50 ${r.turns.p50.toFixed(1)} ms, p99 ${r.turns.p99.toFixed(1)} ms; RSS ${r.memoryMB.beforeRun.toFixed(0)} → ${r.memoryMB.afterRun.toFixed(0)} MB; ${r.failed} failed`);
      await stopProcess(s);
    }
  }
} finally {
  await pgc?.end().catch(() => undefined);
  for (const s of serves) await stopProcess(s);
  await stopProcess(llm);
  for (let i = 0; i < made.length; i += 500) await redis.del(made.slice(i, i + 500).map((id) => SESSION_PREFIX + id));
  await redis.close();
  if (!opt.keep) {
    await dropBenchDatabase(dbName);
    rmSync(work, { recursive: true, force: true });
  } else log(`kept ${work} and database ${dbName}`);
}
result.meta.loadEnd = loadavg();
result.meta.seconds = Math.round((performance.now() - T0) / 1000);
result.targets = flowTargets(result);

process.stdout.write(flowMarkdown(result));
const out = join(ROOT, 'bench/results');
mkdirSync(out, { recursive: true });
const stamp = started.replace(/[:.]/g, '-');
writeFileSync(join(out, `flows-${stamp}.json`), JSON.stringify(result, null, 2) + '\n');
writeFileSync(join(out, 'flows-latest.json'), JSON.stringify(result, null, 2) + '\n');
log(`results in bench/results/flows-${stamp}.json`);
