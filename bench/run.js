// The benchmarks: `npm run bench` (builds first), or `node bench/run.js [options]`. Three parts, in order:
//
// reconciler  Generates spec trees of 1,000 and 10,000 experiments, then times the real CLI as a user
//             runs it (validate; plan against an empty database; initial apply; no-op plan against the
//             applied state) on embedded PGlite and on PostgreSQL, plus an in-process breakdown of the phases.
// runtime     bench/runtime.js: assignments per second in-process (labctl vs the GrowthBook SDK), HTTP
//             throughput and p99 of `labctl serve` vs a bare node:http server (autocannon), and the
//             memory of serve holding 10,000 experiments.
// gitops      bench/gitops.js: save-to-serve latency under `labctl up`, and `plan --base` on 10,000.
// Results go to bench/results/<timestamp>.json (and latest.json / latest.md); a markdown summary is printed.
//
// Options:
//   --only reconciler,runtime,gitops   run only these parts (default: all three)
//   --sizes 1000,10000     experiment counts (the ratio column compares the first and the last)
//   --runs 3               runs per operation (median reported)
//   --apply-runs 2         runs of the initial apply (each on a fresh database; the slowest operation)
//   --backends pglite,postgres
//   --no-phases            skip the in-process phase breakdown
//   --keep                 keep the temporary directory and databases
//   --dist DIR             benchmark another build of labctl (e.g. one compiled before a fix); default dist/
//   --label TEXT           a name for this run, kept in the results
// Runtime part:
//   --assign-seconds 2 --assign-runs 5   in-process: seconds per timed run, runs per engine (median), after 1 s of warm-up
//   --http-seconds 4 --http-rounds 5     HTTP GET: seconds per autocannon run (after 1 s of warm-up), interleaved rounds
//   --http-post-seconds 8                HTTP POST (all experiments): seconds of its one round
//   --connections 50                     autocannon connections
// GitOps part:
//   --edits 20             edits timed under `labctl up`
//   --plan-base-runs 3     runs of `plan --base` on 10,000 experiments (median)
// Environment: BENCH_DATABASE_URL (else TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test)
// names a server where the benchmark may CREATE and DROP its own databases (labctl_bench_*).
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { generateTree } from './generate.js';
import { renderMarkdown } from './report.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values: opt } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000' },
    runs: { type: 'string', default: '3' },
    'apply-runs': { type: 'string', default: '2' },
    backends: { type: 'string', default: 'pglite,postgres' },
    'no-phases': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    dist: { type: 'string' },
    label: { type: 'string' },
    only: { type: 'string', default: 'reconciler,runtime,gitops' },
    'assign-seconds': { type: 'string', default: '2' },
    'assign-runs': { type: 'string', default: '5' },
    'http-seconds': { type: 'string', default: '4' },
    'http-rounds': { type: 'string', default: '5' },
    'http-post-seconds': { type: 'string', default: '8' },
    connections: { type: 'string', default: '50' },
    edits: { type: 'string', default: '20' },
    'plan-base-runs': { type: 'string', default: '3' },
  },
});
const parts = new Set(opt.only.split(','));
for (const p of parts) {
  if (!['reconciler', 'runtime', 'gitops'].includes(p)) {
    process.stderr.write(`--only: unknown part "${p}"; the parts are reconciler, runtime, gitops\n`);
    process.exit(2);
  }
}
// measure.js and phases.js read the build to test from the environment.
if (opt.dist) process.env.LABCTL_BENCH_DIST = resolvePath(opt.dist);
const { timeCli } = await import('./measure.js');
const { runtimeBench } = await import('./runtime.js');
const { gitopsBench } = await import('./gitops.js');
const sizes = opt.sizes.split(',').map(Number);
const runs = Number(opt.runs);
const applyRuns = Number(opt['apply-runs']);
const backends = opt.backends.split(',');
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const log = (m) => process.stderr.write(m + '\n');
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0)}s`;

const baseEnv = { ...process.env, NO_COLOR: '1', LABCTL_ACTOR: 'bench' }; // LABCTL_ACTOR as in CI (no git config lookup)
delete baseEnv.DATABASE_URL;
delete baseEnv.LABCTL_DEBUG;

// --- PostgreSQL helpers: one template database, migrated once; every fresh database is a copy of it.
const dbUrl = (name) => {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
};
let admin;
const created = [];
async function adminQuery(sql) {
  admin ??= await (async () => {
    const c = new pg.Client({ connectionString: ADMIN_URL, application_name: 'labctl bench' });
    await c.connect();
    return c;
  })();
  return admin.query(sql);
}
async function createDatabase(name, template) {
  for (let attempt = 0; ; attempt++) {
    try {
      await adminQuery(`CREATE DATABASE ${pg.escapeIdentifier(name)}${template ? ` TEMPLATE ${pg.escapeIdentifier(template)}` : ''}`);
      created.push(name);
      return dbUrl(name);
    } catch (e) {
      // A CLI that just exited may still have its backend closing on the template.
      if (template && /being accessed by other users/.test(e.message) && attempt < 50) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      throw e;
    }
  }
}
async function dropDatabases() {
  for (const name of created.reverse()) await adminQuery(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`).catch((e) => log(`could not drop ${name}: ${e.message}`));
}

// --- Machine and versions.
function sh(cmd, args, cwd = ROOT) {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}
async function meta() {
  let postgres;
  if (backends.includes('postgres') || parts.has('runtime')) postgres = (await adminQuery('SHOW server_version')).rows[0].server_version.replace(/^(\S+).*/, 'PostgreSQL $1');
  return {
    startedAt: new Date().toISOString(),
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    postgres,
    pglite: JSON.parse(readFileSync(join(ROOT, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')).version,
    labctlCommit: sh('git', ['rev-parse', '--short', 'HEAD']) ?? 'unknown',
    labctlDirty: (sh('git', ['status', '--porcelain', '--', 'core', 'engine', 'kinds', 'adapters', 'reconciler', 'runtime', 'cli', 'index.ts']) ?? '') !== '',
    loadStart: loadavg(),
  };
}

function gitInit(dir) {
  const git = (...a) => execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', '-c', 'commit.gpgsign=false', ...a], { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'benchmark specs');
}

function runPhases(tree, cwd, databaseUrl) {
  return new Promise((resolve, reject) => {
    const args = [join(ROOT, 'bench/phases.js'), '--dir', tree, '--cwd', cwd];
    if (databaseUrl) args.push('--database-url', databaseUrl);
    const child = spawn(process.execPath, args, { cwd, env: baseEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`phases.js exited ${code}: ${err}`))));
  });
}

// --- The run.
const work = mkdtempSync(join(tmpdir(), 'labctl-bench-'));
const result = { meta: { ...(await meta()), label: opt.label, dist: process.env.LABCTL_BENCH_DIST ?? 'dist', parts: [...parts] }, config: { sizes, runs, applyRuns, backends }, trees: {}, cli: {}, phases: {}, targets: [] };
log(`labctl benchmark: ${[...parts].join(', ')}; sizes ${sizes.join(', ')}, ${runs} runs (apply ${applyRuns}), backends ${backends.join(', ')}; work dir ${work}`);
const tag = `${process.pid}`;
const loadSamples = [];
const loadTimer = setInterval(() => loadSamples.push({ at: Math.round((Date.now() - t0) / 1000), load: loadavg()[0] }), 5000);
loadTimer.unref();
/** Load average (1 min) seen while a part ran: min, median, max of the 5-second samples. */
const loadDuring = (fromS, toS) => {
  const xs = loadSamples.filter((s) => s.at >= fromS && s.at <= toS).map((s) => s.load).sort((a, b) => a - b);
  return xs.length ? { min: xs[0], median: xs[Math.floor(xs.length / 2)], max: xs[xs.length - 1] } : undefined;
};
const partTimes = {};
const timedPart = async (name, fn) => {
  const from = (Date.now() - t0) / 1000;
  const r = await fn();
  const to = (Date.now() - t0) / 1000;
  partTimes[name] = { seconds: Math.round(to - from), load: loadDuring(from, to) ?? { min: loadavg()[0], median: loadavg()[0], max: loadavg()[0] } };
  log(`[${elapsed()}] ${name} part done`);
  return r;
};
try {
  if (parts.has('reconciler')) await timedPart('reconciler', async () => {
  // Trees.
  const trees = {};
  for (const n of sizes) {
    trees[n] = join(work, `tree-${n}`);
    result.trees[n] = generateTree(trees[n], n);
    gitInit(trees[n]);
    log(`[${elapsed()}] generated ${n} experiments: ${result.trees[n].resources} resources in ${result.trees[n].files} files`);
  }

  // Templates: an empty, migrated database per backend (its creation is the "first run" figure).
  const fresh = {};
  if (backends.includes('pglite')) {
    const tpl = join(work, 'pglite-template');
    mkdirSync(tpl);
    const m = await timeCli('migrate (pglite)', ['migrate'], { cwd: tpl, env: baseEnv, runs: 1, expect: 0, log });
    for (const n of sizes) (result.cli[n] ??= {}).migrate = { ...(result.cli[n].migrate ?? {}), pglite: m };
    let k = 0;
    fresh.pglite = () => {
      const cwd = join(work, `pglite-${k++}`);
      cpSync(join(tpl, '.labctl'), join(cwd, '.labctl'), { recursive: true });
      return { cwd, env: baseEnv };
    };
  }
  if (backends.includes('postgres')) {
    const tplName = `labctl_bench_tpl_${tag}`;
    const url = await createDatabase(tplName);
    const m = await timeCli('migrate (postgres)', ['migrate'], { cwd: work, env: { ...baseEnv, DATABASE_URL: url }, runs: 1, expect: 0, log });
    for (const n of sizes) (result.cli[n] ??= {}).migrate = { ...(result.cli[n].migrate ?? {}), postgres: m };
    let k = 0;
    fresh.postgres = async () => {
      const u = await createDatabase(`labctl_bench_${tag}_${k++}`, tplName);
      return { cwd: work, env: { ...baseEnv, DATABASE_URL: u } };
    };
  }
  log(`[${elapsed()}] templates ready`);

  for (const n of sizes) {
    const tree = trees[n];
    const cli = (result.cli[n] ??= {});
    const dirArgs = ['--dir', tree];
    cli.validate = { '-': await timeCli(`validate ${n}`, ['validate', ...dirArgs], { cwd: tree, env: baseEnv, runs, expect: 0, log }) };
    log(`[${elapsed()}] validate ${n} done`);
    for (const b of backends) {
      // Plan against an empty (migrated) database: read-only, so all runs share one.
      const empty = await fresh[b]();
      (cli['plan-empty'] ??= {})[b] = await timeCli(`plan-empty ${b} ${n}`, ['plan', ...dirArgs, '--detailed-exitcode'], { ...empty, runs, expect: 2, log });
      // Initial apply: every run on its own fresh database; the last one stays for the no-op plan.
      let applied;
      (cli.apply ??= {})[b] = await timeCli(`apply ${b} ${n}`, ['apply', ...dirArgs], {
        runs: applyRuns,
        expect: 0,
        log,
        before: async () => (applied = await fresh[b]()),
      });
      (cli['plan-noop'] ??= {})[b] = await timeCli(`plan-noop ${b} ${n}`, ['plan', ...dirArgs, '--detailed-exitcode'], { ...applied, runs, expect: 0, log });
      log(`[${elapsed()}] ${b} ${n} CLI done`);
      if (!opt['no-phases']) {
        const f = await fresh[b]();
        (result.phases[b] ??= {})[n] = await runPhases(tree, f.cwd, f.env.DATABASE_URL);
        log(`[${elapsed()}] ${b} ${n} phases done`);
      }
    }
  }
  });

  if (parts.has('runtime')) {
    let k = 0;
    const freshPostgres = () => createDatabase(`labctl_bench_${tag}_rt${k++}`);
    result.runtime = await timedPart('runtime', () =>
      runtimeBench({
        work,
        log: (m) => log(`[${elapsed()}] ${m}`),
        baseEnv,
        freshPostgres,
        opt: { seconds: Number(opt['assign-seconds']), runs: Number(opt['assign-runs']), warmupSeconds: 1, httpSeconds: Number(opt['http-seconds']), httpPostSeconds: Number(opt['http-post-seconds']), httpRounds: Number(opt['http-rounds']), httpWarmupSeconds: 1, connections: Number(opt.connections), httpUsersPerRun: 500_000 },
      }),
    );
  }
  if (parts.has('gitops')) {
    result.gitops = await timedPart('gitops', () =>
      gitopsBench({ work, log: (m) => log(`[${elapsed()}] ${m}`), baseEnv, opt: { edits: Number(opt.edits), pollMs: 10, pauseMs: 250, planRuns: Number(opt['plan-base-runs']), planSize: 10000 } }),
    );
  }
} finally {
  if (!opt.keep) {
    await dropDatabases();
    rmSync(work, { recursive: true, force: true });
  } else log(`kept ${work} and databases ${created.join(', ')}`);
  await admin?.end();
}
result.meta.loadEnd = loadavg();
result.meta.partTimes = partTimes;
result.meta.totalSeconds = Math.round((Date.now() - t0) / 1000);

// --- Targets (issue: 2-core machine).
const [small, large] = [sizes[0], sizes[sizes.length - 1]];
const get = (n, op, b) => result.cli[n]?.[op]?.[b];
const fmt = (ms) => (ms === undefined ? 'not measured' : `${(ms / 1000).toFixed(2)} s`);
const target = (name, ms, limitMs, note) => result.targets.push({ name, measured: `${fmt(ms)}${note ? ` ${note}` : ''}`, valueMs: ms, limitMs, pass: ms === undefined ? undefined : ms <= limitMs });
if (parts.has('reconciler') && large === 10000) {
  target('validate + plan of 10,000 ≤ 3 s (`labctl plan`, empty PostgreSQL; plan validates first)', get(large, 'plan-empty', 'postgres')?.wall, 3000);
  target('validate + plan of 10,000 ≤ 3 s (`labctl plan`, empty PGlite)', get(large, 'plan-empty', 'pglite')?.wall, 3000);
  target('no-op plan of 10,000 against PostgreSQL ≤ 3 s', get(large, 'plan-noop', 'postgres')?.wall, 3000);
  target('initial apply of 10,000 into PostgreSQL ≤ 15 s', get(large, 'apply', 'postgres')?.wall, 15000);
}
if (parts.has('reconciler') && small !== large) {
  let worst;
  for (const op of ['validate', 'plan-empty', 'apply', 'plan-noop']) {
    for (const b of ['-', ...backends]) {
      const a = get(small, op, b)?.wall;
      const z = get(large, op, b)?.wall;
      if (a && z && (!worst || z / a > worst.r)) worst = { r: z / a, what: `${op}${b === '-' ? '' : ` on ${b}`}` };
    }
  }
  result.targets.push({ name: `time(${large.toLocaleString('en-US')}) / time(${small.toLocaleString('en-US')}) ≤ 12 for every operation`, measured: worst ? `worst ${worst.r.toFixed(1)} (${worst.what})` : 'not measured', valueMs: worst?.r, limitMs: 12, pass: worst ? worst.r <= 12 : undefined });
}

const dir = join(ROOT, 'bench/results');
mkdirSync(dir, { recursive: true });
const stamp = result.meta.startedAt.replace(/[:.]/g, '-');
const md = renderMarkdown(result);
writeFileSync(join(dir, `${stamp}.json`), JSON.stringify(result, null, 2) + '\n');
writeFileSync(join(dir, 'latest.json'), JSON.stringify(result, null, 2) + '\n');
writeFileSync(join(dir, 'latest.md'), md);
process.stdout.write(md);
log(`[${elapsed()}] results in bench/results/${stamp}.json`);
