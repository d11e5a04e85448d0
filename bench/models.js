// Model registry benchmark: planning 200 registered models × 20 versions against a real MLflow.
//   node bench/models.js [options]            (after npx tsc -p .; the last step of `npm run bench`)
//
// Needs an MLflow tracking server: TEST_MLFLOW_URI, else MLFLOW_TRACKING_URI. Without one (or when it
// does not answer GET /health) it prints "skipped: no MLflow" and exits 0: benchmarks are not tests.
//
// 1. Seed (not timed, reported): N registered models × V versions, each version with its own run
//    (metrics val_auc, latency_p95_ms), alias challenger on the newest version and champion on an
//    older one. The seed is cached in the tracking server: a marker registered model
//    (labctl-bench-seed-<N>x<V>-v1) names the prefix of a complete seed, and later runs reuse it.
//    --reseed seeds afresh (new unique prefix; the old models stay).
// 2. Specs: N Models + N PromotionPolicies (candidate alias challenger, target champion, gates
//    val_auc >= 0.8, latency_p95_ms <= 200, val_auc >= champion + 0.001) written as YAML files and
//    loaded with SpecLoader, exactly as `labctl plan` loads them.
// 3. labctl: planRegistryState (observe + plan) against a migrated database (embedded PGlite in a
//    temporary directory, or --database-url), a fresh MlflowClient per repetition; wall time, CPU of
//    this process, and HTTP requests by endpoint (client.stats).
// 4. Baseline, same run, same client and concurrency (8 in flight): what a hand-written script does:
//    registered-models/get per model, model-versions/get for every version (1 … the latest version
//    that registered-models/get reports), runs/get for the candidate's and the champion's runs, then
//    the same pure planner. Both are checked to reach the same decisions.
//    The two are interleaved (order alternating) after one untimed warm-up of each.
// 5. The real CLI: `labctl plan --dir SPECS --detailed-exitcode --out plan.json`, with
//    MLFLOW_TRACKING_URI set, next to the same command without it (the registry skipped).
//
// Options:
//   --models 200 --versions 20   registry size
//   --runs 5                     timed repetitions of labctl and of the baseline (median and worst)
//   --cli-runs 3                 runs of each CLI command
//   --reseed                     ignore a cached seed
//   --database-url URL           PostgreSQL for labctl.promotions instead of embedded PGlite (it is migrated)
//   --keep                       keep the temporary directory
// Prints a markdown summary and one JSON line on stdout (progress on stderr) and writes
// bench/results/models-<timestamp>.json and models-latest.json.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { median, runCliOnce } from './measure.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values: opt } = parseArgs({
  options: {
    models: { type: 'string', default: '200' },
    versions: { type: 'string', default: '20' },
    runs: { type: 'string', default: '5' },
    'cli-runs': { type: 'string', default: '3' },
    reseed: { type: 'boolean', default: false },
    'database-url': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const N = Number(opt.models);
const V = Number(opt.versions);
const RUNS = Number(opt.runs);
const CLI_RUNS = Number(opt['cli-runs']);
if (!(N >= 4 && V >= 3)) {
  process.stderr.write('--models must be at least 4 (labctl searches from 4 models on) and --versions at least 3\n');
  process.exit(2);
}
const log = (m) => process.stderr.write(m + '\n');
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0)}s`;

// --- MLflow, or skip.
const URI = process.env.TEST_MLFLOW_URI?.trim() || process.env.MLFLOW_TRACKING_URI?.trim() || undefined;
const base = URI && (URI.endsWith('/') ? URI : `${URI}/`);
async function health() {
  try {
    const res = await fetch(new URL('health', base), { signal: AbortSignal.timeout(5000) });
    return res.ok ? undefined : `GET /health answered HTTP ${res.status}`;
  } catch (e) {
    return `GET /health failed: ${e.cause?.code ?? e.message}`;
  }
}
const down = URI ? await health() : 'neither TEST_MLFLOW_URI nor MLFLOW_TRACKING_URI is set';
if (down) {
  process.stdout.write(`Model registry benchmark skipped: no MLflow (${URI ? `${URI}: ${down}` : down}).\n`);
  process.exit(0);
}
const mlflowVersion = await fetch(new URL('version', base), { signal: AbortSignal.timeout(5000) })
  .then((r) => (r.ok ? r.text() : undefined))
  .catch(() => undefined);

const { MlflowClient } = await import('../dist/adapters/mlflow/client.js');
const { registeredModelFromWire } = await import('../dist/adapters/mlflow/types.js');
const { planRegistryState, planRegistry, modelRefs, runsNeeded, readLastSet } = await import('../dist/reconciler/plan/registry.js');
const { readSpecDir, SpecLoader } = await import('../dist/reconciler/load/index.js');
const { openDatabase, migrate } = await import('../dist/adapters/db/index.js');
import { currentProcess } from '../dist/cli/host.js';
import { createExperiment, createRun, finishRun, getModelVersion, logMetrics } from './mlflow-seed.js';

/** A client whose fetch also records the time to response headers per endpoint. */
function instrumentedClient() {
  const latency = {};
  const timedFetch = async (url, init) => {
    const t = performance.now();
    try {
      return await fetch(url, init);
    } finally {
      const key = `${init?.method ?? 'GET'} /${new URL(url).pathname.replace(/^.*?api\/2\.0\/mlflow\//, 'api/2.0/mlflow/')}`;
      const l = (latency[key] ??= { n: 0, ms: 0 });
      l.n++;
      l.ms += performance.now() - t;
    }
  };
  return { client: new MlflowClient({ trackingUri: URI, fetch: timedFetch }), latency };
}

// --- Seed (cached in the tracking server).
const LAYOUT = `${N}x${V}-v1`;
const MARKER = `labctl-bench-seed-${LAYOUT}`;
const pad = (i) => String(i).padStart(3, '0');
/** The seeded metrics of model i, version v, and which versions carry the aliases. */
const design = (i) => {
  const champion = V - 1 - (i % 4); // an older version: V-1 … V-4
  // One model in four: the challenger is slower than the latency gate; one in four: no better than
  // the champion; the rest pass every gate.
  const kind = i % 4 === 1 ? 'slow' : i % 4 === 2 ? 'worse' : 'better';
  const metrics = (v) => {
    let auc = 0.78 + (0.005 * v) + ((i % 7) * 0.001);
    let latency = 120 + ((i * 7 + v * 3) % 50);
    if (v === V && kind === 'slow') latency = 240;
    if (v === V && kind === 'worse') auc = 0.78 + (0.005 * champion) + ((i % 7) * 0.001) - 0.002;
    return { val_auc: Number(auc.toFixed(4)), latency_p95_ms: latency };
  };
  return { champion, kind, metrics };
};
const expectedOutcomes = () => {
  const out = { promote: 0, blocked: 0 };
  for (let i = 0; i < N; i++) out[design(i).kind === 'better' ? 'promote' : 'blocked']++;
  return out;
};

async function cachedSeed(client) {
  if (opt.reseed) return undefined;
  const marker = await client.getRegisteredModel(MARKER);
  const prefix = marker?.tags['labctl.bench.prefix'];
  if (!prefix || marker.tags['labctl.bench.complete'] !== 'true') return undefined;
  // Spot-check the first and the last model.
  for (const i of [0, N - 1]) {
    const rm = await client.getRegisteredModel(`${prefix}-${pad(i)}`);
    if (!rm || rm.aliases.challenger !== String(V) || rm.aliases.champion !== String(design(i).champion)) return undefined;
  }
  return { prefix, seededAt: marker.tags['labctl.bench.seeded-at'], seedSeconds: Number(marker.tags['labctl.bench.seed-seconds']) };
}

async function seed(client) {
  const prefix = `bench-${Date.now().toString(36)}-${process.pid.toString(36)}`;
  log(`[${elapsed()}] seeding ${N} models × ${V} versions as ${prefix}-NNN (once; later runs reuse it)`);
  const s0 = performance.now();
  const experimentId = await createExperiment(client, `labctl-bench-${prefix}`);
  const BATCH = 24; // models whose chains run at once; the client keeps 8 requests in flight
  for (let b = 0; b < N; b += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, N - b) }, async (_, k) => {
        const i = b + k;
        const name = `${prefix}-${pad(i)}`;
        const d = design(i);
        await client.createRegisteredModel({ name, description: `Benchmark model ${pad(i)}.`, tags: { team: 'bench' } });
        // Runs in parallel; versions in order, so version v is the v-th run.
        const runs = await Promise.all(
          Array.from({ length: V }, async (_, j) => {
            const runId = await createRun(client, { experimentId, runName: `${name}-train-${j + 1}` });
            await logMetrics(client, runId, d.metrics(j + 1));
            await finishRun(client, runId);
            return runId;
          }),
        );
        for (let j = 0; j < V; j++) {
          const mv = await client.createModelVersion({ name, source: `runs:/${runs[j]}/model`, runId: runs[j] });
          if (mv.version !== String(j + 1)) throw new Error(`${name}: expected version ${j + 1}, MLflow created ${mv.version}`);
        }
        await client.setAlias(name, 'challenger', String(V));
        await client.setAlias(name, 'champion', String(d.champion));
      }),
    );
    log(`[${elapsed()}]   ${Math.min(b + BATCH, N)}/${N} models seeded`);
  }
  const seconds = (performance.now() - s0) / 1000;
  const stats = client.stats;
  if (!(await client.getRegisteredModel(MARKER))) await client.createRegisteredModel({ name: MARKER, description: 'labctl bench/models.js: names the cached seed (a registered model with no versions).' });
  await client.setRegisteredModelTag(MARKER, 'labctl.bench.prefix', prefix);
  await client.setRegisteredModelTag(MARKER, 'labctl.bench.seeded-at', new Date().toISOString());
  await client.setRegisteredModelTag(MARKER, 'labctl.bench.seed-seconds', seconds.toFixed(1));
  await client.setRegisteredModelTag(MARKER, 'labctl.bench.complete', 'true');
  return { prefix, seconds, requests: stats.requests, byEndpoint: stats.byEndpoint };
}

// --- Specs.
function writeSpecs(dir, prefix) {
  mkdirSync(join(dir, 'models'), { recursive: true });
  for (let i = 0; i < N; i++) {
    const name = `bench-model-${pad(i)}`;
    const policy = `${name}-promotion`;
    writeFileSync(
      join(dir, 'models', `${name}.yaml`),
      [
        'kind: Model',
        `name: ${name}`,
        `mlflowName: "${prefix}-${pad(i)}"`,
        `description: "Benchmark model ${pad(i)}."`,
        'tags:',
        '  team: bench',
        'aliases:',
        `  champion: { policy: ${policy} }`,
        '---',
        'kind: PromotionPolicy',
        `name: ${policy}`,
        `model: ${name}`,
        'candidate: { alias: challenger }',
        'target: champion',
        'gates:',
        '  metrics:',
        '    - "val_auc >= 0.8"',
        '    - "latency_p95_ms <= 200"',
        '    - "val_auc >= champion + 0.001"',
        '',
      ].join('\n'),
    );
  }
  const git = (...a) => execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', '-c', 'commit.gpgsign=false', ...a], { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'benchmark models');
}

// --- The two ways of reading the registry.
async function ours(db, desired) {
  const { client, latency } = instrumentedClient();
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const r = await planRegistryState(db, desired, { client }, { nowMs: Date.now(), actual: [] });
  const wall = performance.now() - w0;
  const cu = process.cpuUsage(c0);
  return { wall, cpu: (cu.user + cu.system) / 1000, stats: client.stats, latency, decisions: r.registry.decisions, steps: r.registry.steps.length, reportedRequests: r.registry.requests };
}

/** The hand-written script: a GET per model, a GET per version, a GET per compared run. */
async function baseline(db, desired) {
  const { client, latency } = instrumentedClient();
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const models = new Map();
  await Promise.all(
    modelRefs(desired).map(async (ref) => {
      const wire = (await client.request('GET', 'registered-models/get', { query: { name: ref.mlflowName }, idempotent: true })).registered_model;
      const rm = registeredModelFromWire(wire);
      const latest = Math.max(0, ...(wire.latest_versions ?? []).map((v) => Number(v.version)));
      const versions = await Promise.all(Array.from({ length: latest }, (_, k) => getModelVersion(client, ref.mlflowName, String(k + 1))));
      models.set(ref.model, {
        mlflowName: ref.mlflowName,
        exists: true,
        isPrompt: false,
        description: rm.description,
        tags: rm.tags,
        aliases: rm.aliases,
        versions: versions.filter(Boolean).map((v) => ({ version: v.version, status: v.status, runId: v.runId, createdAt: v.creationTimestamp, tags: v.tags })),
      });
    }),
  );
  const runs = new Map();
  await Promise.all(
    runsNeeded(desired, models).map(async (id) => {
      const run = await client.getRun(id);
      runs.set(id, run ? Object.fromEntries(Object.entries(run.metrics).map(([k, m]) => [k, m.value])) : null);
    }),
  );
  const out = planRegistry({ desired, previous: new Map(), observation: { models, runs, lastSet: await readLastSet(db) }, nowMs: Date.now() });
  const wall = performance.now() - w0;
  const cu = process.cpuUsage(c0);
  return { wall, cpu: (cu.user + cu.system) / 1000, stats: client.stats, latency, decisions: out.decisions, steps: out.steps.length };
}

const decisionKey = (ds) => ds.map((d) => `${d.policy}:${d.outcome}:${d.candidate}:${d.incumbent}:${d.gates.map((g) => g.passed).join(',')}`).join('\n');
const outcomes = (ds) => ds.reduce((a, d) => ((a[d.outcome] = (a[d.outcome] ?? 0) + 1), a), {});
function summarise(samples) {
  const walls = samples.map((s) => s.wall);
  const latency = {};
  for (const s of samples) for (const [k, l] of Object.entries(s.latency)) ((latency[k] ??= { n: 0, ms: 0 }).n += l.n), (latency[k].ms += l.ms);
  return {
    runs: samples.length,
    wall: median(walls),
    wallMin: Math.min(...walls),
    wallMax: Math.max(...walls),
    cpu: median(samples.map((s) => s.cpu)),
    requests: samples[0].stats.requests,
    byEndpoint: samples[0].stats.byEndpoint,
    // Mean time to response headers per request, over all timed runs (8 in flight, so queueing at
    // the server's workers is included).
    meanLatencyMs: Object.fromEntries(Object.entries(latency).map(([k, l]) => [k, Number((l.ms / l.n).toFixed(2))])),
    samples: walls.map((w) => Math.round(w)),
  };
}

// --- The run.
const work = mkdtempSync(join(tmpdir(), 'labctl-bench-models-'));
const result = {
  started: new Date().toISOString(),
  machine: { nproc: availableParallelism(), cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, loadStart: loadavg() },
  mlflow: { uri: new URL(base).origin, version: mlflowVersion },
  config: { models: N, versions: V, runs: RUNS, cliRuns: CLI_RUNS, concurrency: 8, database: opt['database-url'] ? 'postgres' : 'pglite' },
};
let db;
try {
  const seedClient = new MlflowClient({ trackingUri: URI });
  const cached = await cachedSeed(seedClient);
  if (cached) {
    log(`[${elapsed()}] reusing the seed ${cached.prefix} (${N} × ${V}, seeded ${cached.seededAt} in ${cached.seedSeconds} s; --reseed to seed afresh)`);
    result.seed = { cached: true, ...cached };
  } else {
    result.seed = { cached: false, ...(await seed(seedClient)) };
    log(`[${elapsed()}] seeded in ${result.seed.seconds.toFixed(1)} s, ${result.seed.requests} requests`);
  }
  const prefix = result.seed.prefix;
  const specs = join(work, 'specs');
  writeSpecs(specs, prefix);
  const state = new SpecLoader().load(await readSpecDir(specs));
  const errors = state.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(`the generated specs are invalid: ${errors.slice(0, 3).map((d) => d.summary).join('; ')}`);
  const desired = state.resources;
  log(`[${elapsed()}] ${desired.length} resources loaded from ${state.files} files`);

  db = await openDatabase({ databaseUrl: opt['database-url'], cwd: work, applicationName: 'labctl bench models', host: currentProcess() });
  await migrate(db);

  // Warm-up (untimed), then interleaved timed runs.
  const warmOurs = await ours(db, desired);
  const warmBase = await baseline(db, desired);
  if (decisionKey(warmOurs.decisions) !== decisionKey(warmBase.decisions)) throw new Error('labctl and the baseline reached different decisions');
  const expected = expectedOutcomes();
  const got = outcomes(warmOurs.decisions);
  if (got.promote !== expected.promote || got.blocked !== expected.blocked) throw new Error(`unexpected decisions ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
  log(`[${elapsed()}] warm-up: labctl ${Math.round(warmOurs.wall)} ms (${warmOurs.stats.requests} requests), baseline ${Math.round(warmBase.wall)} ms (${warmBase.stats.requests} requests); decisions ${JSON.stringify(got)}`);
  const a = [];
  const b = [];
  for (let i = 0; i < RUNS; i++) {
    const pair = i % 2 === 0 ? [() => ours(db, desired), () => baseline(db, desired)] : [() => baseline(db, desired), () => ours(db, desired)];
    const first = await pair[0]();
    const second = await pair[1]();
    const [o, n] = i % 2 === 0 ? [first, second] : [second, first];
    a.push(o);
    b.push(n);
    log(`[${elapsed()}]   run ${i + 1}/${RUNS}: labctl ${Math.round(o.wall)} ms, baseline ${Math.round(n.wall)} ms`);
  }
  result.decisions = got;
  result.steps = warmOurs.steps;
  result.warmup = { labctl: Math.round(warmOurs.wall), baseline: Math.round(warmBase.wall) };
  result.labctl = summarise(a);
  result.baseline = summarise(b);
  await db.close();
  db = undefined;

  // The CLI, as a user runs it: with MLflow, and without (the registry skipped).
  const env = { ...process.env, NO_COLOR: '1', LABCTL_ACTOR: 'bench' };
  delete env.LABCTL_DEBUG;
  delete env.TEST_MLFLOW_URI;
  if (opt['database-url']) env.DATABASE_URL = opt['database-url'];
  else delete env.DATABASE_URL;
  const cli = async (label, withMlflow) => {
    const e = { ...env };
    if (withMlflow) e.MLFLOW_TRACKING_URI = URI;
    else delete e.MLFLOW_TRACKING_URI;
    const samples = [];
    let plan;
    for (let i = 0; i < CLI_RUNS; i++) {
      const out = join(work, `plan-${withMlflow ? 'mlflow' : 'local'}.json`);
      const r = await runCliOnce(['plan', '--dir', specs, '--detailed-exitcode', '--out', out], { cwd: work, env: e });
      if (r.code !== 2) throw new Error(`${label}: labctl plan exited ${r.code}, expected 2\n${r.stdout}\n${r.stderr}`);
      plan = JSON.parse(readFileSync(out, 'utf8'));
      samples.push(r);
      log(`[${elapsed()}]   ${label} run ${i + 1}/${CLI_RUNS}: ${(r.wall / 1000).toFixed(2)} s wall${r.cpu !== undefined ? `, ${(r.cpu / 1000).toFixed(2)} s cpu` : ''}`);
    }
    const walls = samples.map((s) => s.wall);
    const cpus_ = samples.map((s) => s.cpu).filter((c) => c !== undefined);
    return { runs: CLI_RUNS, wall: median(walls), wallMin: Math.min(...walls), wallMax: Math.max(...walls), cpu: cpus_.length ? median(cpus_) : undefined, rssMB: Math.max(...samples.map((s) => s.rssMB ?? 0)) || undefined, registry: plan.registry?.status, requests: plan.registry?.requests, outcomes: plan.registry ? outcomes(plan.registry.decisions) : undefined };
  };
  // First, untimed: the CLI creates (or migrates) its database.
  await runCliOnce(['migrate'], { cwd: work, env });
  result.cli = { withMlflow: await cli('labctl plan (MLflow)', true), withoutMlflow: await cli('labctl plan (no MLflow)', false) };
} finally {
  await db?.close();
  if (!opt.keep) rmSync(work, { recursive: true, force: true });
  else log(`kept ${work}`);
}
result.machine.loadEnd = loadavg();
result.seconds = Math.round((Date.now() - t0) / 1000);

// --- Report.
const f = (x) => Math.round(x).toLocaleString('en-US');
const s = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);
const L = result.labctl;
const B = result.baseline;
const endpoints = [...new Set([...Object.keys(L.byEndpoint), ...Object.keys(B.byEndpoint)])].sort();
const lat = (x, k) => (x.meanLatencyMs[k] !== undefined ? `${x.meanLatencyMs[k].toFixed(1)} ms` : '–');
// Share of the time requests were outstanding (requests × mean latency); with the client's 8 slots
// busy throughout, this is roughly the share of wall time.
const share = (x, k) => {
  const total = Object.keys(x.byEndpoint).reduce((a, e) => a + x.byEndpoint[e] * (x.meanLatencyMs[e] ?? 0), 0);
  return x.byEndpoint[k] ? `${Math.round((100 * x.byEndpoint[k] * (x.meanLatencyMs[k] ?? 0)) / total)}%` : '–';
};
const seedLine = result.seed.cached
  ? `seed reused (${N} × ${V} = ${f(N * V)} versions and runs, seeded ${result.seed.seededAt} in ${result.seed.seedSeconds} s)`
  : `seeded ${N} × ${V} = ${f(N * V)} versions and runs in ${result.seed.seconds.toFixed(1)} s (${f(result.seed.requests)} requests; cached for later runs)`;
const md = [
  `Model registry benchmark ${result.started} (MLflow ${mlflowVersion ?? '?'} at ${result.mlflow.uri}; load average ${result.machine.loadStart.map((x) => x.toFixed(1)).join(' / ')}, ${result.machine.nproc} CPUs, Node ${process.version})`,
  `${seedLine}; decisions ${Object.entries(result.decisions).map(([k, v]) => `${v} ${k}`).join(', ')}; database ${result.config.database}`,
  '',
  `| plan the registry (${N} models × ${V} versions), ${RUNS} runs after a warm-up | labctl \`planRegistryState\` | baseline (GET per model, per version, per run) | ratio |`,
  '|---|---:|---:|---:|',
  `| HTTP requests | ${f(L.requests)} | ${f(B.requests)} | ${(B.requests / L.requests).toFixed(1)}× |`,
  `| wall, median | ${s(L.wall)} | ${s(B.wall)} | ${(B.wall / L.wall).toFixed(1)}× |`,
  `| wall, worst | ${s(L.wallMax)} | ${s(B.wallMax)} | ${(B.wallMax / L.wallMax).toFixed(1)}× |`,
  `| CPU of this process, median | ${s(L.cpu)} | ${s(B.cpu)} | — |`,
  '',
  '| endpoint (per run) | labctl requests | mean latency | share of request time | baseline requests | mean latency | share of request time |',
  '|---|---:|---:|---:|---:|---:|---:|',
  ...endpoints.map((k) => `| \`${k}\` | ${f(L.byEndpoint[k] ?? 0)} | ${lat(L, k)} | ${share(L, k)} | ${f(B.byEndpoint[k] ?? 0)} | ${lat(B, k)} | ${share(B, k)} |`),
  '',
  `| \`labctl plan --dir SPECS --detailed-exitcode --out plan.json\` (${2 * N} resources, ${CLI_RUNS} runs) | median wall | worst | CPU | MLflow requests |`,
  '|---|---:|---:|---:|---:|',
  `| with MLFLOW_TRACKING_URI | ${s(result.cli.withMlflow.wall)} | ${s(result.cli.withMlflow.wallMax)} | ${result.cli.withMlflow.cpu !== undefined ? s(result.cli.withMlflow.cpu) : '–'} | ${result.cli.withMlflow.requests ?? '–'} |`,
  `| without (registry skipped) | ${s(result.cli.withoutMlflow.wall)} | ${s(result.cli.withoutMlflow.wallMax)} | ${result.cli.withoutMlflow.cpu !== undefined ? s(result.cli.withoutMlflow.cpu) : '–'} | 0 |`,
  '',
  JSON.stringify(result),
].join('\n');
process.stdout.write(md + '\n');
const dir = join(ROOT, 'bench/results');
mkdirSync(dir, { recursive: true });
const stamp = result.started.replace(/[:.]/g, '-');
writeFileSync(join(dir, `models-${stamp}.json`), JSON.stringify(result, null, 2) + '\n');
writeFileSync(join(dir, 'models-latest.json'), JSON.stringify(result, null, 2) + '\n');
log(`[${elapsed()}] done in ${result.seconds} s; results in bench/results/models-${stamp}.json`);
