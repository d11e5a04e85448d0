// Compare two benchmark results (e.g. before and after a fix):
//   node bench/compare.js bench/results/A.json bench/results/B.json
// Prints a markdown table of median wall and CPU time per operation, backend and size.
import { readFileSync } from 'node:fs';
import { OPERATIONS } from './report.js';

const [a, b] = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, 'utf8')));
if (!a || !b) {
  console.error('usage: node bench/compare.js BEFORE.json AFTER.json');
  process.exit(2);
}
const sec = (ms) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(2)} s`);
const pct = (x, y) => (x && y ? `${y < x ? '−' : '+'}${Math.abs(((y - x) / x) * 100).toFixed(0)}%` : '–');
const name = (r, fallback) => r.meta.label ?? fallback;
const rows = [
  `| operation | backend | size | ${name(a, 'A')} wall | ${name(b, 'B')} wall | ${name(a, 'A')} cpu | ${name(b, 'B')} cpu | cpu change |`,
  '|---|---|---:|---:|---:|---:|---:|---:|',
];
for (const op of OPERATIONS) {
  if (op.sizeless) continue;
  for (const be of op.backends) {
    for (const n of a.config.sizes) {
      const x = a.cli[n]?.[op.key]?.[be];
      const y = b.cli[n]?.[op.key]?.[be];
      if (!x || !y) continue;
      rows.push(`| ${op.label} | ${be === '-' ? 'none' : be === 'pglite' ? 'PGlite' : 'PostgreSQL'} | ${n.toLocaleString('en-US')} | ${sec(x.wall)} | ${sec(y.wall)} | ${sec(x.cpu)} | ${sec(y.cpu)} | ${pct(x.cpu, y.cpu)} |`);
    }
  }
}
const phaseRows = ['| phase | backend | size | ' + `${name(a, 'A')} | ${name(b, 'B')} | change |`, '|---|---|---:|---:|---:|---:|'];
for (const be of ['pglite', 'postgres']) {
  for (const n of a.config.sizes) {
    const x = a.phases[be]?.[n];
    const y = b.phases[be]?.[n];
    if (!x || !y) continue;
    for (const k of Object.keys(x)) {
      if (k.startsWith('_') || !y[k]) continue;
      if (!/parse|diff|read actual/.test(k)) continue;
      phaseRows.push(`| ${k} | ${be === 'pglite' ? 'PGlite' : 'PostgreSQL'} | ${n.toLocaleString('en-US')} | ${Math.round(x[k].cpu)} ms cpu | ${Math.round(y[k].cpu)} ms cpu | ${pct(x[k].cpu, y[k].cpu)} |`);
    }
  }
}
process.stdout.write(`Load average: ${name(a, 'A')} ${a.meta.loadStart[0].toFixed(1)}→${a.meta.loadEnd?.[0].toFixed(1)}, ${name(b, 'B')} ${b.meta.loadStart[0].toFixed(1)}→${b.meta.loadEnd?.[0].toFixed(1)}\n\n${rows.join('\n')}\n\n${phaseRows.join('\n')}\n`);
