// In-process phase timings of one reconcile cycle, run in a fresh child process per (backend, size)
// so JIT state and heap do not leak between measurements.
//
//   node bench/phases.js --dir TREE --cwd DIR [--database-url URL] [--repeat 3]
//
// Uses the same library functions the CLI uses (reconciler/load, core/diff, stores, render) and
// mirrors apply(): one transaction, apply lock, read actual state, diff, write, audit row, NOTIFY.
// Prints one JSON object on stdout: phase → { wall, cpu } in milliseconds (median of --repeat for
// the read-only phases, single shot for the writes).
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
// LABCTL_BENCH_DIST selects another build (for before/after comparisons); default ../dist.
const DIST = new URL(process.env.LABCTL_BENCH_DIST ? `file://${process.env.LABCTL_BENCH_DIST.replace(/\/?$/, '/')}` : '../dist/', import.meta.url);
const lib = (path) => import(new URL(path, DIST).href);
const { readSpecDir, SpecLoader } = await lib('reconciler/load/index.js');
const { diff, hasChanges, revisionAfter } = await lib('core/diff.js');
const { KINDS } = await lib('kinds/index.js');
const { openDatabase, migrate, readActualState, writeChanges, lockTransaction } = await lib('adapters/db/index.js');
const { recordRun, setAppliedRevision } = await lib('adapters/state/state.js');
const { renderPlanText } = await lib('reconciler/render/text.js');
const { renderPlanJson } = await lib('reconciler/render/json.js');
const { CHANGES_CHANNEL } = await lib('reconciler/apply/apply.js');
import { currentProcess } from '../dist/cli/host.js';

const { values: args } = parseArgs({
  options: {
    dir: { type: 'string' },
    cwd: { type: 'string' },
    'database-url': { type: 'string' },
    repeat: { type: 'string', default: '3' },
  },
});
const repeat = Number(args.repeat);
const out = {};

async function measure(name, fn, times = 1) {
  const samples = [];
  let result;
  for (let i = 0; i < times; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    result = await fn();
    const wall = performance.now() - t0;
    const cu = process.cpuUsage(c0);
    samples.push({ wall, cpu: (cu.user + cu.system) / 1000 });
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  out[name] = { wall: med(samples.map((s) => s.wall)), cpu: med(samples.map((s) => s.cpu)), runs: times };
  return result;
}

const now = () => new Date().toISOString();
const diffOpts = (locate) => ({ prune: false, gitSha: 'bench', now: now(), kinds: KINDS, locate });

const files = await measure('read files', () => readSpecDir(args.dir));
const loader = await measure('compile schemas', () => new SpecLoader());
const state = await measure('parse + validate', () => loader.load(files));
if (state.diagnostics.some((d) => d.severity === 'error')) {
  console.error(state.diagnostics.slice(0, 5));
  throw new Error('generated tree is invalid');
}
const db = await measure('open database + migrate', async () => {
  const d = await openDatabase({ databaseUrl: args['database-url'], cwd: args.cwd, applicationName: 'labctl bench', host: currentProcess() });
  await migrate(d);
  return d;
});
try {
  // Plan against the empty database.
  const empty = await measure('empty: read actual state', () => readActualState(db), repeat);
  const plan0 = await measure('empty: diff', () => diff(state.resources, empty, diffOpts(state.locate)), repeat);
  await measure('empty: render text', () => renderPlanText(plan0, { color: false }), repeat);
  await measure('empty: render json (--out)', () => renderPlanJson(plan0), repeat);

  // Initial apply, step by step as apply() does it.
  await measure('apply: total (one transaction)', () =>
    db.transaction(async (tx) => {
      const t = (name, fn) => measure(`apply: ${name}`, fn);
      await t('lock', () => lockTransaction(tx, 'apply', 30_000));
      const actual = await t('read actual state', () => readActualState(tx));
      let plan = await t('diff', () => diff(state.resources, actual, diffOpts(state.locate)));
      if (!hasChanges(plan)) throw new Error('expected changes on the initial apply');
      await t('write changes', () => writeChanges(tx, plan.changes, { gitSha: 'bench', actor: 'bench' }));
      plan = { ...plan, revision: revisionAfter(actual, plan.changes) };
      await t('record run + revision + notify', async () => {
        const runId = await recordRun(tx, { actor: 'bench', gitSha: 'bench', outcome: 'applied', plan });
        await setAppliedRevision(tx, plan.revision, 'bench', runId);
        await tx.query('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, plan.revision]);
      });
    }),
  );

  // No-op plan against the up-to-date database.
  const actual = await measure('no-op: read actual state', () => readActualState(db), repeat);
  const plan1 = await measure('no-op: diff', () => diff(state.resources, actual, diffOpts(state.locate)), repeat);
  if (hasChanges(plan1)) throw new Error(`expected a no-op plan, got ${JSON.stringify(plan1.summary)}`);
  await measure('no-op: render text', () => renderPlanText(plan1, { color: false }), repeat);
} finally {
  await db.close();
}
out._meta = { resources: state.resources.length, files: files.length, heapUsedMB: Math.round(process.memoryUsage().heapUsed / 1048576), rssMB: Math.round(process.memoryUsage().rss / 1048576) };
process.stdout.write(JSON.stringify(out) + '\n');
