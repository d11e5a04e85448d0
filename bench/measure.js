// Spawning the real CLI and timing it, hyperfine-style: repeated runs, median reported.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

/** The CLI under test; LABCTL_BENCH_DIST selects another build (before/after comparisons). */
export const BIN = process.env.LABCTL_BENCH_DIST ? join(process.env.LABCTL_BENCH_DIST, 'cli/bin.js') : fileURLToPath(new URL('../dist/cli/bin.js', import.meta.url));
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Run `node dist/cli/bin.js ...args` once; returns wall time (ms), CPU time of the child
 * (user + sys, ms, from /usr/bin/time when available), peak RSS (MB), exit code and output size.
 */
export function runCliOnce(args, { cwd, env }) {
  const rusageDir = TIME ? mkdtempSync(join(tmpdir(), 'labctl-bench-time-')) : undefined;
  const rusageFile = rusageDir && join(rusageDir, 'rusage');
  const [cmd, argv] = TIME ? [TIME, ['-f', '%U %S %M', '-o', rusageFile, process.execPath, BIN, ...args]] : [process.execPath, [BIN, ...args]];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdoutBytes = 0;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdoutBytes += d.length;
      if (stdout.length < 4096) stdout += d.toString();
    });
    child.stderr.on('data', (d) => {
      if (stderr.length < 8192) stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = performance.now() - t0;
      let cpu;
      let rssMB;
      if (rusageFile) {
        try {
          const line = readFileSync(rusageFile, 'utf8').trim().split('\n').pop();
          const [u, s, m] = line.split(/\s+/).map(Number);
          if (Number.isFinite(u) && Number.isFinite(s)) cpu = (u + s) * 1000;
          if (Number.isFinite(m)) rssMB = Math.round(m / 1024);
        } catch {
          // no rusage: report wall time only
        }
        rmSync(rusageDir, { recursive: true, force: true });
      }
      resolve({ code, wall, cpu, rssMB, stdoutBytes, stdout, stderr });
    });
  });
}

/**
 * Time a CLI operation `runs` times. `before(i)` prepares run i untimed (e.g. a fresh database) and may
 * return { cwd, env } overrides; `expect` is the required exit code. Returns samples and medians.
 */
export async function timeCli(label, args, { cwd, env, runs, expect, before, log }) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const o = (await before?.(i)) ?? {};
    const r = await runCliOnce(args, { cwd: o.cwd ?? cwd, env: o.env ?? env });
    if (r.code !== expect) {
      throw new Error(`${label}: labctl ${args.join(' ')} exited ${r.code}, expected ${expect}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    }
    samples.push({ wall: r.wall, cpu: r.cpu, rssMB: r.rssMB, stdoutBytes: r.stdoutBytes });
    log?.(`    ${label} run ${i + 1}/${runs}: ${(r.wall / 1000).toFixed(2)} s wall${r.cpu !== undefined ? `, ${(r.cpu / 1000).toFixed(2)} s cpu` : ''}`);
  }
  const cpus = samples.map((s) => s.cpu).filter((c) => c !== undefined);
  return {
    runs,
    wall: median(samples.map((s) => s.wall)),
    wallMin: Math.min(...samples.map((s) => s.wall)),
    cpu: cpus.length ? median(cpus) : undefined,
    rssMB: Math.max(...samples.map((s) => s.rssMB ?? 0)) || undefined,
    samples,
  };
}
