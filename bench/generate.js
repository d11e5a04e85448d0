// Generates a realistic spec tree of N experiments for the benchmark.
//
// Shape (deterministic for a given N):
//   experiments/layers.yaml      one Layer per 10 layered experiments, several documents per file
//   experiments/metrics.yaml     60 Metrics of every type
//   experiments/holdouts.yaml    2 Holdouts (one global, one scoped to a few experiments)
//   experiments/<team>/exp-NNNN.yaml   50 Experiments per file, separated by `---`
// About 60% of experiments sit in a layer (10 per layer, disjoint ranges), 40% have targeting,
// 30% a schedule, 15% overrides; variants carry nested JSON values; most are running. Prompt-like
// values name their template under `template:` (a `prompt:` key must name a declared Prompt).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PER_FILE = 50;
const PER_LAYER = 10;
const TEAMS = ['payments', 'search', 'growth', 'onboarding', 'recommendations', 'platform', 'mobile', 'pricing'];
const METRIC_TYPES = ['conversion', 'count', 'sum', 'mean'];
const COUNTRIES = ['NL', 'BE', 'DE', 'FR', 'US', 'GB', 'ES', 'IT', 'SE', 'PL'];
const PLATFORMS = ['ios', 'android', 'web'];

/** Small deterministic PRNG (mulberry32) so every run benchmarks the same tree. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (i, w = 5) => String(i).padStart(w, '0');
const pick = (r, list) => list[Math.floor(r() * list.length)];
const metricName = (i) => `metric-${pad(i, 3)}`;

function metricDoc(i) {
  const type = METRIC_TYPES[i % METRIC_TYPES.length];
  const lines = [
    '# yaml-language-server: $schema=../specs/metric.schema.json',
    'kind: Metric',
    `name: ${metricName(i)}`,
    `description: Benchmark metric ${i} (${type}).`,
    `owner: ${TEAMS[i % TEAMS.length]}`,
    `type: ${type}`,
    `event: event_${i}`,
  ];
  if (type === 'sum' || type === 'mean') lines.push('property: amount');
  lines.push(`direction: ${i % 5 === 0 ? 'decrease' : 'increase'}`);
  if (i % 3 === 0) lines.push(`window: ${1 + (i % 14)}d`);
  return lines.join('\n');
}

function layerDoc(i) {
  return [
    '# yaml-language-server: $schema=../specs/layer.schema.json',
    'kind: Layer',
    `name: layer-${pad(i, 4)}`,
    `description: Mutually exclusive slice ${i}; each unit sees at most one experiment of it.`,
    `owner: ${TEAMS[i % TEAMS.length]}`,
    'unit: user_id',
  ].join('\n');
}

function variantValue(r, i, v) {
  switch (i % 4) {
    case 0:
      return `{ color: ${pick(r, ['blue', 'green', 'red', 'orange'])}, size: ${8 + v * 2} }`;
    case 1:
      return `{ label: "Variant ${v} of ${i}", enabled: ${v > 0} }`;
    case 2:
      return `\n      ranker: ltr-v${v + 1}\n      params: { depth: ${3 + v}, boost: [${(r() * 2).toFixed(2)}, ${(r() * 2).toFixed(2)}] }\n      features: [price, recency, ctr]`;
    default:
      return `{ template: "prompt-${v}", temperature: ${(0.2 * v).toFixed(1)}, stop: ["\\n\\n"], max_tokens: ${256 * (v + 1)} }`;
  }
}

function experimentDoc(i, n, nMetrics, r, allRunning) {
  const team = TEAMS[i % TEAMS.length];
  const statusRoll = r();
  const status = allRunning ? 'running' : statusRoll < 0.7 ? 'running' : statusRoll < 0.8 ? 'paused' : statusRoll < 0.9 ? 'draft' : 'stopped';
  const lines = [
    '# yaml-language-server: $schema=../../specs/experiment.schema.json',
    'kind: Experiment',
    `name: exp-${pad(i)}`,
    `description: Benchmark experiment ${i} of ${n} owned by ${team}; does variant B beat the control?`,
    `owner: ${team}`,
    `labels: { team: ${team}, tier: t${i % 3} }`,
    `status: ${status}`,
    'unit: user_id',
  ];
  if (i % 7 === 0) lines.push(`seed: exp-${pad(i)}-v2`);
  if (i % 5 === 0) lines.push(`coverage: ${(0.1 + (i % 9) / 10).toFixed(1)}`);
  const nVariants = 2 + (i % 3);
  lines.push('variants:');
  for (let v = 0; v < nVariants; v++) {
    lines.push(`  - key: ${v === 0 ? 'control' : `treatment-${v}`}`);
    lines.push(`    weight: ${v === 0 ? 50 : Math.round(50 / (nVariants - 1))}`);
    lines.push(`    value: ${variantValue(r, i, v)}`);
    if (v === 0 && i % 2 === 0) lines.push('    description: the current behaviour');
  }
  if (r() < 0.4) {
    if (i % 2 === 0) lines.push(`targeting:\n  country: { $in: [${pick(r, COUNTRIES)}, ${pick(r, COUNTRIES)}] }`);
    else lines.push(`targeting:\n  $and:\n    - platform: { $in: [${pick(r, PLATFORMS)}] }\n    - app_version: { $vgte: "${1 + (i % 5)}.${i % 10}.0" }`);
  }
  // Experiments 0..9 of each group of 10 share a layer and own disjoint tenths of it; 60% of groups are layered.
  const group = Math.floor(i / PER_LAYER);
  if (group % 5 < 3) {
    const slot = i % PER_LAYER;
    const start = slot / PER_LAYER;
    const end = (slot + 1) / PER_LAYER;
    lines.push(`layer: { name: layer-${pad(layerIndexOf(group), 4)}, range: [${start}, ${+end.toFixed(1)}] }`);
  }
  if (r() < 0.3 && !allRunning) {
    const month = 1 + (i % 12);
    lines.push(`schedule: { start: 2026-${String(month).padStart(2, '0')}-01T00:00:00Z, end: 2027-${String(month).padStart(2, '0')}-15T00:00:00Z }`);
  }
  if (r() < 0.15) lines.push(`overrides: { qa-user-${i}: control, qa-user-${i}-b: treatment-1 }`);
  const primary = metricName(i % nMetrics);
  const guard = metricName((i * 7 + 3) % nMetrics);
  lines.push(primary === guard ? `metrics: { primary: [${primary}] }` : `metrics: { primary: [${primary}], guardrails: [${guard}] }`);
  return lines.join('\n');
}

/** Index of the layer used by experiment group g (only groups with g % 5 < 3 are layered). */
function layerIndexOf(group) {
  return Math.floor(group / 5) * 3 + (group % 5);
}

/**
 * Write a tree of n experiments under dir; returns counts per kind and files.
 * opts.allRunning: every experiment `running` and unscheduled (the runtime benchmark's tree); the
 * rest of the shape (variants, targeting, layers, holdouts, overrides) is unchanged.
 */
export function generateTree(dir, n, opts = {}) {
  const r = rng(0xbe9c4 + n);
  const nMetrics = 60;
  const groups = Math.ceil(n / PER_LAYER);
  const layered = [];
  for (let g = 0; g < groups; g++) if (g % 5 < 3) layered.push(layerIndexOf(g));
  mkdirSync(join(dir, 'experiments'), { recursive: true });
  let bytes = 0;
  let lines = 0;
  const write = (rel, docs) => {
    const abs = join(dir, rel);
    const text = docs.join('\n---\n') + '\n';
    mkdirSync(join(abs, '..'), { recursive: true });
    writeFileSync(abs, text);
    bytes += Buffer.byteLength(text);
    lines += text.split('\n').length - 1;
  };
  write('experiments/metrics.yaml', Array.from({ length: nMetrics }, (_, i) => metricDoc(i)));
  write('experiments/layers.yaml', layered.map(layerDoc));
  const holdouts = [
    'kind: Holdout\nname: global-holdout\ndescription: 2% of users see no experiment.\nowner: growth\nshare: 0.02',
    `kind: Holdout\nname: pricing-holdout\nowner: pricing\nshare: 0.05\nexperiments: [${[0, 1, 2].map((i) => `exp-${pad(i)}`).join(', ')}]`,
  ];
  write('experiments/holdouts.yaml', holdouts);
  let files = 3;
  for (let f = 0; f * PER_FILE < n; f++) {
    const docs = [];
    for (let i = f * PER_FILE; i < Math.min(n, (f + 1) * PER_FILE); i++) docs.push(experimentDoc(i, n, nMetrics, r, !!opts.allRunning));
    write(`experiments/${TEAMS[f % TEAMS.length]}/exp-${pad(f * PER_FILE)}.yaml`, docs);
    files++;
  }
  return { experiments: n, layers: layered.length, metrics: nMetrics, holdouts: holdouts.length, resources: n + layered.length + nMetrics + holdouts.length, files, bytes, lines };
}
