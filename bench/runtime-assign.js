// In-process assignment throughput, one engine per process (so JIT state and GC are not shared):
//   node bench/runtime-assign.js --tree DIR --engine labctl|gb-client|gb-inline|gb-instance [--seconds 2 --runs 5 --warmup 1]
//   node bench/runtime-assign.js --tree DIR --verify      (labctl and GrowthBook agree on every assignment?)
// Prints one JSON line on stdout.
//
// The GrowthBook configuration is derived from labctl's own compiled snapshot of the same tree, so
// both evaluate the same experiments: per running experiment one feature whose rules are a force
// rule per overridden variant (condition on the unit) and an experiment rule with the same seed,
// normalised weights, coverage, hashAttribute, hashVersion 2, the targeting as the GrowthBook
// condition, and the holdouts and the layer slice as GrowthBook `filters` (a seed, a hash-v2 range).
// Every request evaluates one experiment for one user; users (attributes) and experiments cycle.
import { GrowthBook, GrowthBookClient } from '@growthbook/growthbook';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { makeUsers } from './attributes.js';

const { values: opt } = parseArgs({
  options: {
    tree: { type: 'string' },
    engine: { type: 'string', default: 'labctl' },
    seconds: { type: 'string', default: '2' },
    runs: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    users: { type: 'string', default: '10000' },
    verify: { type: 'boolean', default: false },
  },
});
const DIST = process.env.LABCTL_BENCH_DIST ?? new URL('../dist', import.meta.url).pathname;
const { snapshotFromDir, assign } = await import(pathToFileURL(join(DIST, 'index.js')).href);

const snap = await snapshotFromDir(opt.tree);
const names = snap.running.map((e) => e.name);
const users = makeUsers(Number(opt.users));
const specs = snap.resources.get('Experiment');

/** GrowthBook feature definitions equivalent to the snapshot's running experiments. */
function growthbookFeatures() {
  const features = {};
  const experiments = {};
  for (const exp of snap.running) {
    const spec = specs.get(exp.name);
    const weights = spec.variants.map((v) => v.weight);
    const total = weights.reduce((a, b) => a + b, 0);
    const filters = exp.holdouts.map((h) => ({ attribute: exp.unit, seed: h.seed, hashVersion: 2, ranges: [[h.share, 1]] }));
    if (exp.layer) filters.push({ attribute: exp.unit, seed: exp.layer.seed, hashVersion: 2, ranges: [[exp.layer.range[0], exp.layer.range[1]]] });
    const rule = {
      key: exp.name,
      seed: exp.seed,
      hashVersion: 2,
      hashAttribute: exp.unit,
      variations: exp.variants.map((v) => v.value),
      weights: weights.map((w) => w / total),
      coverage: spec.coverage ?? 1,
      meta: exp.variants.map((v) => ({ key: v.key })),
      ...(filters.length ? { filters } : {}),
      ...(spec.targeting ? { condition: spec.targeting } : {}),
    };
    const rules = [];
    if (spec.overrides) {
      const byVariant = new Map();
      for (const [unit, key] of Object.entries(spec.overrides)) byVariant.set(key, [...(byVariant.get(key) ?? []), unit]);
      for (const [key, units] of byVariant) {
        const v = exp.variants.find((x) => x.key === key);
        if (v) rules.push({ condition: { [exp.unit]: { $in: units } }, force: v.value });
      }
    }
    rules.push(rule);
    features[exp.name] = { defaultValue: exp.variants[0].value, rules };
    // runInlineExperiment takes the experiment itself (no force rules: overrides are not modelled there).
    experiments[exp.name] = rule;
  }
  return { features, experiments };
}

/** The per-request call of each engine: (experiment name, attributes) → something to consume. */
function engine(name) {
  if (name === 'labctl') {
    return (n, attrs) => {
      const a = assign(snap, n, attrs);
      return a.inExperiment ? 1 : 0;
    };
  }
  const { features, experiments } = growthbookFeatures();
  if (name === 'gb-client') {
    // The server-side multi-user client: one shared instance, one user context per call.
    const client = new GrowthBookClient({}).initSync({ payload: { features } });
    const contexts = new Map(users.map((u) => [u, { attributes: u }]));
    return (n, attrs) => (client.evalFeature(n, contexts.get(attrs)).source === 'experiment' ? 1 : 0);
  }
  if (name === 'gb-inline') {
    const client = new GrowthBookClient({}).initSync({ payload: { features: {} } });
    const contexts = new Map(users.map((u) => [u, { attributes: u }]));
    return (n, attrs) => (client.runInlineExperiment(experiments[n], contexts.get(attrs)).inExperiment ? 1 : 0);
  }
  if (name === 'gb-instance') {
    // The classic per-request pattern: a GrowthBook instance per request, one evaluation.
    return (n, attrs) => {
      const gb = new GrowthBook({ attributes: attrs, features });
      const r = gb.evalFeature(n).source === 'experiment' ? 1 : 0;
      gb.destroy();
      return r;
    };
  }
  throw new Error(`unknown engine ${name}`);
}

if (opt.verify) {
  // Same answers? Compare value (the same object references are handed to both) and enrolment.
  const { features } = growthbookFeatures();
  const client = new GrowthBookClient({}).initSync({ payload: { features } });
  let same = 0;
  let total = 0;
  let enrolled = 0;
  const mismatches = [];
  for (const u of users) {
    for (const n of names) {
      const a = assign(snap, n, u);
      const g = client.evalFeature(n, { attributes: u });
      total++;
      if (a.inExperiment) enrolled++;
      if (a.value === g.value && a.inExperiment === (g.source === 'experiment')) same++;
      else if (mismatches.length < 5) mismatches.push({ experiment: n, user: u, labctl: { variant: a.variant, reason: a.reason }, growthbook: { source: g.source, key: g.experimentResult?.key } });
    }
  }
  process.stdout.write(JSON.stringify({ verify: { total, same, enrolled, mismatches, experiments: names.length, users: users.length } }) + '\n');
  process.exit(0);
}

const fn = engine(opt.engine);
const N = names.length;
const U = users.length;
let sink = 0;
let i = 0;
/** Run for ms milliseconds in chunks; returns calls per second. */
function timed(ms) {
  const t0 = performance.now();
  let calls = 0;
  let t = t0;
  while (t - t0 < ms) {
    for (let k = 0; k < 2000; k++) {
      // Each user in turn is evaluated for every running experiment.
      const n = names[i % N];
      const u = users[((i / N) | 0) % U];
      sink += fn(n, u);
      i++;
    }
    calls += 2000;
    t = performance.now();
  }
  return (calls / (t - t0)) * 1000;
}
timed(Number(opt.warmup) * 1000);
const samples = [];
for (let r = 0; r < Number(opt.runs); r++) samples.push(timed(Number(opt.seconds) * 1000));
const sorted = [...samples].sort((a, b) => a - b);
const mu = process.memoryUsage();
process.stdout.write(JSON.stringify({ engine: opt.engine, experiments: N, users: U, samples, median: sorted[Math.floor(sorted.length / 2)], enrolledShare: sink / i, heapUsedMB: mu.heapUsed / 1048576 }) + '\n');
