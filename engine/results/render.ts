import type { ExperimentResult, MetricResult, VariantResult } from './types.js';

// Text and markdown renderings of a result (the JSON is the result itself).

export interface Paint {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

const plain: Paint = { green: (s) => s, red: (s) => s, yellow: (s) => s, bold: (s) => s, dim: (s) => s };

function num(x: number | null, digits = 4): string {
  if (x === null) return 'n/a';
  if (x !== 0 && Math.abs(x) < 0.001) return x.toExponential(2);
  return Number(x.toFixed(digits)).toString();
}

function signedPct(x: number | null): string {
  if (x === null) return 'n/a';
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
}

function signed(x: number | null): string {
  if (x === null) return 'n/a';
  return `${x >= 0 ? '+' : ''}${num(x)}`;
}

function pValue(p: number | null): string {
  if (p === null) return 'n/a';
  return p < 0.0001 ? '<0.0001' : p.toFixed(4);
}

/** The lift in the experiment's chosen difference, with its interval. */
function lift(r: VariantResult, relative: boolean): string {
  const e = relative ? r.relative : r.absolute;
  const f = relative ? signedPct : signed;
  const lo = e.ci[0] === null ? '-∞' : f(e.ci[0]);
  const hi = e.ci[1] === null ? '+∞' : f(e.ci[1]);
  return `${f(e.estimate)} [${lo}, ${hi}]`;
}

function verdict(m: MetricResult, r: VariantResult): string {
  if (r.error) return `no test: ${r.error.replace(/_/g, ' ')}`;
  if (m.role === 'guardrail') return r.worse ? 'harmed' : 'not harmed';
  if (r.better) return 'better';
  if (r.worse) return 'worse';
  return 'not significant';
}

function paintVerdict(v: string, p: Paint): string {
  if (v === 'better' || v === 'not harmed') return p.green(v);
  if (v === 'worse' || v === 'harmed') return p.red(v);
  return p.dim(v);
}

function unitsLine(r: ExperimentResult): string {
  return r.variants.map((v) => `${v.key} ${v.units.toLocaleString('en-US')} (${r.units ? ((v.units / r.units) * 100).toFixed(1) : '0.0'}%, expected ${(v.expected_share * 100).toFixed(1)}%)`).join(' · ');
}

function pad(cells: string[][]): string[] {
  const visible = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '').length;
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => visible(row[i] ?? ''))));
  return cells.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c + ' '.repeat(widths[i]! - visible(c)))).join('  ').trimEnd());
}

export function renderResultText(r: ExperimentResult, paint: Paint = plain): string {
  const relative = r.analysis.difference === 'relative';
  const head = paint.bold(`${r.experiment} · phase ${r.phase} · ${r.units.toLocaleString('en-US')} units · computed ${r.computed_at}`);
  const status = r.decision.status;
  const sentence = status === 'ship' ? paint.green(r.summary) : status === 'stop' ? paint.red(r.summary) : r.summary;
  const srm = r.srm.p_value === null ? 'SRM: n/a' : `SRM: p = ${pValue(r.srm.p_value)} ${r.srm.ok ? paint.green('ok') : paint.red('MISMATCH')}`;
  const lines = [head, sentence, '', `Units: ${unitsLine(r)}`, srm, ''];
  if (r.metrics.length === 0) lines.push('No metrics: list metrics.primary (and guardrails) on the experiment to get lifts.');
  else {
    const rows: string[][] = [['Metric', 'Role', 'Variant', 'Baseline', 'Mean', relative ? 'Lift (CI)' : 'Difference (CI)', 'p', 'p adj.', '']];
    for (const m of r.metrics) {
      for (const v of m.results) rows.push([m.name, m.role, v.variant, num(v.baseline_mean), num(v.mean), lift(v, relative), pValue(v.p_value), pValue(v.p_value_adjusted), paintVerdict(verdict(m, v), paint)]);
    }
    lines.push(...pad(rows));
    const ci = Math.round((1 - r.analysis.alpha) * 100);
    lines.push(paint.dim(`${ci}% intervals${r.analysis.sequential ? ' (sequential)' : ''}${r.analysis.cuped ? ', CUPED' : ''}; p adj.: ${r.analysis.correction === 'none' ? 'no correction' : r.analysis.correction === 'holm' ? 'Holm' : 'Benjamini-Hochberg'}; guardrails tested one-sided for harm.`));
  }
  lines.push('', `Decision: ${paint.bold(r.decision.status.replace('_', ' '))}${r.decision.variant ? ` ${r.decision.variant}` : ''}`);
  for (const reason of r.decision.reasons) lines.push(`  - ${reason}`);
  return lines.join('\n') + '\n';
}

/** Markdown cells cannot hold a pipe or a newline. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function renderResultMarkdown(r: ExperimentResult): string {
  const relative = r.analysis.difference === 'relative';
  const lines = [`### ${cell(r.experiment)} (phase ${r.phase})`, '', `**${cell(r.summary)}**`, '', `Units: ${cell(unitsLine(r))}. SRM: ${r.srm.p_value === null ? 'n/a' : `p = ${pValue(r.srm.p_value)} ${r.srm.ok ? 'ok' : '**mismatch**'}`}.`, ''];
  if (r.metrics.length > 0) {
    lines.push(`| Metric | Role | Variant | Baseline | Mean | ${relative ? 'Lift (CI)' : 'Difference (CI)'} | p | p adj. | |`, '|---|---|---|---:|---:|---|---:|---:|---|');
    for (const m of r.metrics) for (const v of m.results) lines.push(`| ${cell(m.name)} | ${m.role} | ${cell(v.variant)} | ${num(v.baseline_mean)} | ${num(v.mean)} | ${lift(v, relative)} | ${pValue(v.p_value)} | ${pValue(v.p_value_adjusted)} | ${verdict(m, v)} |`);
    lines.push('');
  }
  lines.push(`**Decision: ${r.decision.status.replace('_', ' ')}${r.decision.variant ? ` ${cell(r.decision.variant)}` : ''}**`, '');
  for (const reason of r.decision.reasons) lines.push(`- ${cell(reason)}`);
  lines.push('', `<sub>computed ${r.computed_at}</sub>`);
  return lines.join('\n') + '\n';
}
