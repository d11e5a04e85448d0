// The GitOps benchmark (part of `npm run bench`; alone: `node bench/run.js --only gitops`).
//
// 1. Save-to-serve latency under `labctl up` (embedded PGlite, a temporary git repository holding
//    the 100-experiment runtime tree): edit a variant value of a running experiment, then poll
//    `GET /v1/assign/{experiment}` every 10 ms until the x-labctl-revision header changes. Repeated
//    `edits` times; each edit waits for the previous one to be served (plus a short pause).
// 2. `labctl plan --base HEAD` on 10,000 experiments: a temporary git repository with the generated
//    tree committed, then about 1% of the experiments changed in the working tree.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateTree } from './generate.js';
import { BIN, median, runCliOnce, timeCli } from './measure.js';
import { sleep, startProcess, stopProcess } from './procs.js';

export function gitInit(dir) {
  const git = (...a) => execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', '-c', 'commit.gpgsign=false', ...a], { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'benchmark specs');
}

/** Every spec file under dir (relative paths). */
function yamlFiles(dir, rel = '') {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? (e.name.startsWith('.') ? [] : yamlFiles(dir, join(rel, e.name))) : /\.ya?ml$/.test(e.name) ? [join(rel, e.name)] : []));
}

/** ctx: { work, log, baseEnv, opt: { edits, pollMs, pauseMs, planRuns, planSize } } */
export async function gitopsBench(ctx) {
  const { work, log, baseEnv } = ctx;
  const o = ctx.opt;
  const out = { config: { ...o }, up: {}, planBase: {}, targets: [] };

  // --- 1. labctl up: save → served.
  const repo = join(work, 'gitops-up');
  out.up.tree = generateTree(repo, 100, { allRunning: true });
  gitInit(repo);
  const file = join(repo, 'experiments/payments/exp-00000.yaml');
  const experiment = 'exp-00001';
  const from = 'value: { label: "Variant 0 of 1", enabled: false }';
  const to = 'value: { label: "Variant 0 of 1", enabled: true }';
  if (!readFileSync(file, 'utf8').includes(from)) throw new Error(`gitops: ${file} does not hold the control value of ${experiment} to flip`);
  const env = { ...baseEnv };
  delete env.DATABASE_URL;
  const up = await startProcess([process.execPath, BIN, 'up', '--port', '0'], { env, cwd: repo, ready: /runtime:\s+http:\/\/[^\s:]+:(\d+)/, name: 'labctl up' });
  out.up.startMs = up.startedMs;
  log(`gitops: labctl up ready in ${(up.startedMs / 1000).toFixed(1)} s`);
  const url = `http://127.0.0.1:${up.match}/v1/assign/${experiment}?user_id=u1&log=false`;
  const probe = async () => {
    const res = await fetch(url);
    const body = await res.json();
    return { revision: res.headers.get('x-labctl-revision'), enabled: body.value?.enabled };
  };
  const samples = [];
  try {
    let current = await probe();
    for (let i = 0; i < o.edits; i++) {
      const text = readFileSync(file, 'utf8');
      const next = current.enabled ? text.replace(to, from) : text.replace(from, to);
      const t0 = performance.now();
      writeFileSync(file, next);
      let seen;
      let polls = 0;
      for (;;) {
        seen = await probe();
        polls++;
        if (seen.revision !== current.revision) break;
        if (performance.now() - t0 > 30_000) throw new Error(`gitops: edit ${i + 1} not served after 30 s:\n${up.output().slice(-2000)}`);
        await sleep(o.pollMs);
      }
      const ms = performance.now() - t0;
      if (seen.enabled === current.enabled) throw new Error(`gitops: revision changed to ${seen.revision} but the value did not flip`);
      samples.push({ ms, polls, revision: seen.revision });
      current = seen;
      await sleep(o.pauseMs);
    }
  } finally {
    await stopProcess(up);
  }
  const ms = samples.map((s) => s.ms);
  out.up.samples = samples;
  out.up.medianMs = median(ms);
  out.up.worstMs = Math.max(...ms);
  out.up.bestMs = Math.min(...ms);
  log(`gitops: save → served over ${samples.length} edits: median ${Math.round(out.up.medianMs)} ms, worst ${Math.round(out.up.worstMs)} ms`);

  // --- 2. plan --base on 10,000 experiments.
  const big = join(work, 'gitops-plan-base');
  out.planBase.tree = generateTree(big, o.planSize);
  gitInit(big);
  let changed = 0;
  const every = 100; // about 1% of the experiments
  for (const rel of yamlFiles(big)) {
    const path = join(big, rel);
    const text = readFileSync(path, 'utf8');
    const edited = text.replace(/^description: Benchmark experiment (\d+) of (\d+)(.*)$/gm, (line, i, n, rest) => {
      if (Number(i) % every !== 0) return line;
      changed++;
      return `description: Benchmark experiment ${i} of ${n}${rest} (edited on a branch)`;
    });
    if (edited !== text) writeFileSync(path, edited);
  }
  out.planBase.changedExperiments = changed;
  const planArgs = ['plan', '--base', 'HEAD', '--dir', big, '--detailed-exitcode'];
  // One untimed run first (warms the page cache) that checks the plan is the expected one.
  const check = await runCliOnce(planArgs, { cwd: big, env });
  const summary = /Plan: (\d+) to add, (\d+) to change, (\d+) to archive/.exec(check.stdout);
  if (check.code !== 2 || !summary || Number(summary[2]) !== changed) throw new Error(`gitops: plan --base exited ${check.code}, expected 2 with ${changed} changes:\n${check.stdout}\n${check.stderr}`);
  out.planBase.summary = summary[0];
  const r = await timeCli(`plan --base HEAD ${o.planSize}`, planArgs, { cwd: big, env, runs: o.planRuns, expect: 2, log });
  out.planBase.result = r;
  log(`gitops: plan --base of ${o.planSize} with ${changed} changed: ${(r.wall / 1000).toFixed(2)} s (${(r.cpu / 1000).toFixed(2)} s cpu)`);

  out.targets.push({ name: `\`labctl up\`: save a spec → the runtime serves the new revision, median ≤ 1 s (${samples.length} edits)`, measured: `median ${Math.round(out.up.medianMs)} ms, worst ${Math.round(out.up.worstMs)} ms`, pass: out.up.medianMs <= 1000 });
  return out;
}
