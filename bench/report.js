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

const int = (x) => (x === undefined || Number.isNaN(x) ? '–' : Math.round(x).toLocaleString('en-US'));
const mbf = (x) => (x === undefined || Number.isNaN(x) ? '–' : `${x.toFixed(x < 10 ? 1 : 0)} MB`);
const loadText = (l) => (l ? `${l.min.toFixed(1)}–${l.max.toFixed(1)} (median ${l.median.toFixed(1)})` : '–');
const pct = (x) => (x === undefined || Number.isNaN(x) ? '–' : `${Math.round(x)}%`);
const passText = (p) => (p === undefined ? 'not measured' : p ? '**pass**' : '**FAIL**');

/** In-process assignments per second: labctl and the GrowthBook SDK, same experiments, same users. */
export function assignTable(rt) {
  const ENGINES = [
    ['labctl', 'labctl `assign(snapshot, name, attributes)`'],
    ['gb-client', 'GrowthBook `GrowthBookClient#evalFeature(name, { attributes })`'],
    ['gb-inline', 'GrowthBook `GrowthBookClient#runInlineExperiment(experiment, { attributes })`'],
    ['gb-instance', 'GrowthBook `new GrowthBook({ attributes, features })`, then `evalFeature(name)`, per request'],
  ];
  const lab = rt.assign.labctl?.median;
  const rows = ['| engine | assignments/s (median) | runs (min–max) | labctl is |', '|---|---:|---:|---:|'];
  for (const [k, label] of ENGINES) {
    const r = rt.assign[k];
    if (!r) continue;
    rows.push(`| ${label} | ${int(r.median)} | ${int(Math.min(...r.samples))}–${int(Math.max(...r.samples))} | ${k === 'labctl' ? '–' : `${(lab / r.median).toFixed(1)}×`} |`);
  }
  return rows.join('\n');
}

/** HTTP: labctl serve against the bare node:http server. */
export function httpTable(rt) {
  const h = rt.http;
  const rows = ['| endpoint | server | req/s | of bare | p50 | p99 | p99.9 | server CPU | server CPU per request | load generator CPU | exposures written (dropped) |', '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|'];
  const row = (label, server, r, bare) => {
    if (!r) return;
    const exp = r.exposures ? `${int(r.exposures.written)} (${int(r.exposures.dropped)})` : '–';
    const bad = r.non2xx || r.errors ? ` ⚠ ${r.non2xx} non-2xx, ${r.errors} errors` : '';
    rows.push(`| ${label} | ${server}${bad} | ${int(r.rps)} | ${bare ? `${((r.ofBare ?? r.rps / bare.rps) * 100).toFixed(0)}%` : '–'} | ${r.latencyMs.p50} ms | ${r.latencyMs.p99} ms${r.latencyMs.p99Worst !== undefined && r.latencyMs.p99Worst !== r.latencyMs.p99 ? ` (worst ${r.latencyMs.p99Worst})` : ''} | ${r.latencyMs.p999} ms | ${pct(r.serverCpuPercent)} | ${r.serverCpuUsPerRequest === undefined ? '–' : `${Math.round(r.serverCpuUsPerRequest)} µs`} | ${pct(r.loadgenCpuPercent)} | ${exp} |`);
  };
  row(`\`GET /v1/assign/{experiment}?user_id=…&country=…\` (${int(h.bodyBytes?.get)} B answer)`, 'bare node:http, fixed body', h['bare-get']);
  row('', '`labctl serve`, exposures logged (default)', h['serve-get'], h['bare-get']);
  row('', '`labctl serve`, `log=false`', h['serve-get-nolog'], h['bare-get']);
  row(`\`POST /v1/assign\`, all 100 running experiments (${int(h.bodyBytes?.post)} B answer)`, 'bare node:http, fixed body', h['bare-post']);
  row('', '`labctl serve`, exposures logged (default)', h['serve-post'], h['bare-post']);
  row('', '`labctl serve`, `"log": false`', h['serve-post-nolog'], h['bare-post']);
  return rows.join('\n');
}

/** Memory of labctl serve by applied state. */
export function memoryTable(rt) {
  const rows = ['| applied state | serve ready in | RSS | heap used (after GC) | heap total | external |', '|---|---:|---:|---:|---:|---:|'];
  for (const k of ['empty', '100', '10000']) {
    const m = rt.memory[k];
    if (m) rows.push(`| ${m.label}${m.running ? `, ${m.running.toLocaleString('en-US')} running` : ''} | ${msf(m.startMs)} | ${mbf(m.rssMB)} | ${mbf(m.heapUsedMB)} | ${mbf(m.heapTotalMB)} | ${mbf(m.externalMB)} |`);
  }
  return rows.join('\n');
}

export function runtimeMarkdown(rt, meta) {
  const v = rt.assign.verify;
  const lines = [
    `In-process, ${rt.tree.experiments} running experiments, ${int(rt.assign.labctl?.users)} users cycling; median of ${rt.config.runs} runs of ${rt.config.seconds} s after ${rt.config.warmupSeconds} s of warm-up, one process per engine${meta?.partTimes?.runtime ? `; load average during the runtime part ${loadText(meta.partTimes.runtime.load)}` : ''}. ` +
      (v ? `labctl and GrowthBook gave the same answer (value and enrolment) for ${int(v.same)} of ${int(v.total)} (user, experiment) pairs; ${((v.enrolled / v.total) * 100).toFixed(1)}% enrolled.` : ''),
    '',
    assignTable(rt),
    '',
    `HTTP, ${rt.config.connections} connections; GET: median of ${rt.config.httpRounds} interleaved rounds of ${rt.config.httpSeconds} s, POST: one round of ${rt.config.httpPostSeconds} s, each after ${rt.config.httpWarmupSeconds} s of warm-up; autocannon in its own process; PostgreSQL; every request a new user:`,
    '',
    httpTable(rt),
    '',
    'Memory of `labctl serve` (PostgreSQL) after loading the applied state:',
    '',
    memoryTable(rt),
    '',
    'Runtime targets:',
    '',
    ['| target | measured | result |', '|---|---:|---|', ...rt.targets.map((t) => `| ${t.name} | ${t.measured} | ${passText(t.pass)} |`)].join('\n'),
    '',
  ];
  return lines.join('\n');
}

export function gitopsMarkdown(g, meta) {
  const up = g.up;
  const pb = g.planBase;
  const r = pb.result;
  return [
    `\`labctl up\` (PGlite, a git repository of ${up.tree.experiments} running experiments): ${up.samples.length} edits, each flipping a variant value and polling every ${g.config.pollMs} ms; ${g.config.pauseMs} ms pause after each is served${meta?.partTimes?.gitops ? `; load average during the GitOps part ${loadText(meta.partTimes.gitops.load)}` : ''}.`,
    '',
    '| measurement | median | best | worst |',
    '|---|---:|---:|---:|',
    `| save a spec → \`GET /v1/assign/…\` answers with the new revision | ${msf(up.medianMs)} | ${msf(up.bestMs)} | ${msf(up.worstMs)} |`,
    `| \`labctl up\` start: migrate + apply ${up.tree.resources} resources + serve (one sample) | ${msf(up.startMs)} | | |`,
    '',
    `\`labctl plan --base HEAD\`, ${pb.tree.experiments.toLocaleString('en-US')} experiments committed, ${pb.changedExperiments} changed in the working tree (${pb.summary}); ${r.runs} runs:`,
    '',
    '| operation | median wall | CPU | min wall | peak RSS |',
    '|---|---:|---:|---:|---:|',
    `| \`labctl plan --base HEAD --detailed-exitcode\` | ${s(r.wall)} | ${s(r.cpu)} | ${s(r.wallMin)} | ${r.rssMB ? `${r.rssMB} MB` : '–'} |`,
    '',
    'GitOps targets:',
    '',
    ['| target | measured | result |', '|---|---:|---|', ...g.targets.map((t) => `| ${t.name} | ${t.measured} | ${passText(t.pass)} |`)].join('\n'),
    '',
  ].join('\n');
}

export function renderMarkdown(result) {
  const m = result.meta;
  const out = [
    `${m.label ? `**${m.label}** (build ${m.dist}). ` : ''}Run ${m.startedAt} on ${m.nproc} CPUs (${m.cpuModel}), Node ${m.node}, ${m.postgres ?? 'PostgreSQL not measured'}, PGlite ${m.pglite}; labctl ${m.labctlCommit}${m.labctlDirty ? ' (with uncommitted changes)' : ''}.`,
    `Load average at start ${m.loadStart.map((x) => x.toFixed(1)).join(' / ')}, at end ${m.loadEnd?.map((x) => x.toFixed(1)).join(' / ') ?? '–'}${m.partTimes ? `; per part (1-minute load, 5-second samples): ${Object.entries(m.partTimes).map(([k, p]) => `${k} ${loadText(p.load)} over ${p.seconds} s`).join(', ')}` : ''}.`,
    '',
  ];
  if (Object.keys(result.cli).length) {
    out.push(
      `Reconciler. Runs per operation: ${result.config.runs} (initial apply: ${result.config.applyRuns}); median wall time, CPU time (user + sys of the process) in parentheses.`,
      '',
      cliTable(result),
      '',
      ...(Object.keys(result.phases).length
        ? ['In-process phases, wall (CPU) — one process per column; read-only phases are the median of 3; the apply steps run inside the apply transaction:', '', phaseTable(result), '']
        : []),
      'Reconciler targets:',
      '',
      targetTable(result),
      '',
    );
  }
  if (result.runtime) out.push('Runtime.', '', runtimeMarkdown(result.runtime, m));
  if (result.gitops) out.push('GitOps.', '', gitopsMarkdown(result.gitops, m));
  return out.join('\n');
}
