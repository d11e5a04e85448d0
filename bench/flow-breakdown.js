// Where a turn's time goes inside labctl: the runtime as `labctl serve` wires it (startRuntime), in
// this process, with timers around the session store, the model call (the provider, SDK included),
// the step-log insert and the whole FlowRuntime.message; turns one at a time over HTTP. The
// timers only measure: every call goes through to the real Redis, PostgreSQL and model server.
//   node bench/flow-breakdown.js CONFIG_JSON   → one JSON line on stdout
// CONFIG: { databaseUrl, dir (an applied project), llmUrl, store: 'redis'|'database', redisUrl, turns, warmup, sessionTurns }
// LABCTL_BENCH_DIST selects another build, as for the other benchmarks.
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FlowHttp } from './flow-client.js';
import { checkTurn, FLOW, question } from './flow-project.js';
import { median } from './measure.js';

const cfg = JSON.parse(process.argv[2]);
const DIST = process.env.LABCTL_BENCH_DIST ?? fileURLToPath(new URL('../dist', import.meta.url));
const load = (rel) => import(pathToFileURL(join(DIST, rel)).href);
const { startRuntime } = await load('cli/commands/serve.js');
const { openDatabase } = await load('adapters/db/index.js');
const { currentProcess } = await load('cli/host.js');
const { RedisSessionStore, DatabaseSessionStore } = await load('adapters/sessions/index.js');
const { AnthropicProvider } = await load('adapters/llm/anthropic.js');
const { FlowRuntime } = await load('runtime/flows/runtime.js');
const { StepLog } = await load('runtime/flows/step-log.js');

// Time spent in each wrapped method during the turn under way (turns run one at a time).
let acc = {};
function timed(proto, method, key) {
  const inner = proto[method];
  proto[method] = async function (...args) {
    const t0 = performance.now();
    try {
      return await inner.apply(this, args);
    } finally {
      acc[key] = (acc[key] ?? 0) + performance.now() - t0;
    }
  };
}
const Store = cfg.store === 'redis' ? RedisSessionStore : DatabaseSessionStore;
timed(Store.prototype, 'get', 'storeGet');
timed(Store.prototype, 'update', 'storeUpdate');
timed(AnthropicProvider.prototype, 'complete', 'model');
timed(StepLog.prototype, 'append', 'stepLog');
timed(FlowRuntime.prototype, 'message', 'runtime');

const quiet = new Writable({ write: (_c, _e, cb) => cb() });
const env = { DATABASE_URL: cfg.databaseUrl, ANTHROPIC_API_KEY: 'sk-ant-bench', ANTHROPIC_BASE_URL: cfg.llmUrl, ...(cfg.store === 'redis' ? { REDIS_URL: cfg.redisUrl } : {}) };
const db = await openDatabase({ databaseUrl: cfg.databaseUrl, cwd: cfg.dir, applicationName: 'labctl bench breakdown', host: currentProcess() });
const runtime = await startRuntime({ stdout: quiet, stderr: quiet, env, cwd: cfg.dir }, db, 0, '127.0.0.1');
const http = new FlowHttp(`http://127.0.0.1:${runtime.port}`, 1);
const per = [];
const sessions = [];
try {
  let session;
  for (let i = 0; i < cfg.warmup + cfg.turns; i++) {
    if (i % cfg.sessionTurns === 0) sessions.push((session = (await http.start(FLOW, { user_id: `breakdown-${i}` })).body.session));
    acc = {};
    const r = await http.send(session, question(i));
    checkTurn(r);
    if (i >= cfg.warmup) per.push({ ...acc, turn: r.ms });
  }
} finally {
  http.close();
  await runtime.stop();
  await db.close();
}
// Medians per part; "http" is what the client saw beyond FlowRuntime.message (request parsing,
// routing, the JSON answer, the client), "rest" what message spent outside the timed calls (the
// engine, the prompt, the records, the turn queue).
const col = (f) => median(per.map(f));
const parts = {
  turn: col((p) => p.turn),
  http: col((p) => p.turn - p.runtime),
  storeGet: col((p) => p.storeGet ?? 0),
  model: col((p) => p.model ?? 0),
  storeUpdate: col((p) => p.storeUpdate ?? 0),
  stepLog: col((p) => p.stepLog ?? 0),
  rest: col((p) => p.runtime - (p.storeGet ?? 0) - (p.model ?? 0) - (p.storeUpdate ?? 0) - (p.stepLog ?? 0)),
};
process.stdout.write(JSON.stringify({ store: cfg.store, turns: per.length, medianMs: parts, sessions }) + '\n');
