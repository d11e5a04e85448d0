// Markdown rendering of a benchmark result (the same tables docs/performance.md shows).

const s = (ms) => (ms === undefined ? '–' : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`);
const msf = (ms) => (ms === undefined ? '–' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);
const ratio = (a, b) => (a && b ? (b / a).toFixed(1) : '–');

export const OPERATIONS = [
  { key: 'validate', label: '`labctl validate`', backends: ['-'] },
  { key: 'migrate', label: 'first run: create + migrate database (`labctl migrate`)', backends: ['pglite', 'postgres'], sizeless: true },
  { key: 'plan-empty', label: '`labctl plan`, empty database', backends: ['pglite', 'postgres'] },
  { key: 'apply', label: '`labctl apply`, initial (empty database)', backends: ['pglite', 'postgres'] },
  { key: 'plan-noop', label: '`labctl plan`, up-to-date database (no-op)', backends: ['pglite', 'postgres'] },
];

/** The CLI table: median wall time (CPU time in parentheses) per size, and the 10k/1k ratio. */
export function cliTable(result) {
  const [small, large] = result.config.sizes;
  const head = `| operation | backend | ${result.config.sizes.map((n) => `${n.toLocaleString('en-US')} experiments`).join(' | ')} |${large ? ' ratio |' : ''}`;
  const sep = `|---|---|${result.config.sizes.map(() => '---:').join('|')}|${large ? '---:|' : ''}`;
  const rows = [head, sep];
  for (const op of OPERATIONS) {
    for (const b of op.backends) {
      const cell = (n) => result.cli[n]?.[op.key]?.[b];
      if (!result.config.sizes.some((n) => cell(n))) continue;
      const cells = result.config.sizes.map((n) => {
        const c = cell(n);
        if (!c) return '–';
        return `${s(c.wall)}${c.cpu !== undefined ? ` (${s(c.cpu)} cpu)` : ''}`;
      });
      const r = large && !op.sizeless ? ratio(cell(small)?.wall, cell(large)?.wall) : op.sizeless ? 'n/a' : '';
      rows.push(`| ${op.label} | ${b === '-' ? 'none' : b === 'pglite' ? 'PGlite' : 'PostgreSQL'} | ${cells.join(' | ')} |${large ? ` ${r} |` : ''}`);
    }
  }
  return rows.join('\n');
}

/** In-process phases: one column per backend × size. */
export function phaseTable(result) {
  const cols = [];
  for (const b of ['pglite', 'postgres']) for (const n of result.config.sizes) if (result.phases[b]?.[n]) cols.push({ b, n, p: result.phases[b][n] });
  if (cols.length === 0) return '';
  const names = [];
  for (const c of cols) for (const k of Object.keys(c.p)) if (!k.startsWith('_') && !names.includes(k)) names.push(k);
  const rows = [
    `| phase | ${cols.map((c) => `${c.b === 'pglite' ? 'PGlite' : 'PostgreSQL'} ${c.n.toLocaleString('en-US')}`).join(' | ')} |`,
    `|---|${cols.map(() => '---:').join('|')}|`,
  ];
  for (const k of names) rows.push(`| ${k} | ${cols.map((c) => (c.p[k] ? `${msf(c.p[k].wall)} (${msf(c.p[k].cpu)})` : '–')).join(' | ')} |`);
  return rows.join('\n');
}

/** Targets with pass/fail. */
export function targetTable(result) {
  const rows = ['| target | measured | result |', '|---|---:|---|'];
  for (const t of result.targets) rows.push(`| ${t.name} | ${t.measured} | ${t.pass === undefined ? 'not measured' : t.pass ? '**pass**' : '**FAIL**'} |`);
  return rows.join('\n');
}

export function renderMarkdown(result) {
  const m = result.meta;
  return [
    `${m.label ? `**${m.label}** (build ${m.dist}). ` : ''}Run ${m.startedAt} on ${m.nproc} CPUs (${m.cpuModel}), Node ${m.node}, ${m.postgres ?? 'PostgreSQL not measured'}, PGlite ${m.pglite}; labctl ${m.labctlCommit}${m.labctlDirty ? ' (with uncommitted changes)' : ''}.`,
    `Load average at start ${m.loadStart.map((x) => x.toFixed(1)).join(' / ')}, at end ${m.loadEnd?.map((x) => x.toFixed(1)).join(' / ') ?? '–'}. Runs per operation: ${result.config.runs} (initial apply: ${result.config.applyRuns}); median wall time, CPU time (user + sys of the process) in parentheses.`,
    '',
    cliTable(result),
    '',
    'In-process phases, wall (CPU) — one process per column; read-only phases are the median of 3; the apply steps run inside the apply transaction:',
    '',
    phaseTable(result),
    '',
    'Targets:',
    '',
    targetTable(result),
    '',
  ].join('\n');
}
