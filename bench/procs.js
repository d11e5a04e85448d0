// Child processes for the runtime and GitOps benchmarks: node scripts that print one JSON line,
// long-running labctl servers (serve, up), and reading a process's memory from /proc.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BIN } from './measure.js';

/** Run `node [nodeArgs] script ...args` to completion; resolves with the last stdout line parsed as JSON. */
export function nodeJson(script, args = [], { env = process.env, cwd, nodeArgs = [] } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, script, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited ${code}: ${err.slice(-2000)}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch (e) {
        reject(new Error(`${script}: no JSON on stdout (${e.message}): ${out.slice(-500)} ${err.slice(-500)}`));
      }
    });
  });
}

/**
 * Start a long-running process and wait until `ready` (a regexp) matches its stderr or stdout; the
 * first capture group is returned as `match`. Resolves with { child, pid, match, startedMs, output() }.
 */
export function startProcess(argv, { env, cwd, ready, timeoutMs = 120_000, name = argv.join(' ') }) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    let done = false;
    const timer = setTimeout(() => finish(new Error(`${name}: not ready after ${timeoutMs} ms:\n${text.slice(-2000)}`)), timeoutMs);
    const finish = (err, match) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        child.kill('SIGKILL');
        reject(err);
      } else resolve({ child, pid: child.pid, match, startedMs: performance.now() - t0, output: () => text });
    };
    const onData = (d) => {
      text += d;
      if (text.length > 200_000) text = text.slice(-100_000);
      const m = ready.exec(text);
      if (m) finish(undefined, m[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (e) => finish(e));
    child.on('exit', (code) => finish(new Error(`${name} exited ${code} before it was ready:\n${text.slice(-2000)}`)));
  });
}

/** Stop a process started by startProcess (SIGTERM, then SIGKILL after graceMs). */
export function stopProcess(p, graceMs = 15_000) {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
    p.child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    p.child.kill('SIGTERM');
  });
}

/** `labctl serve --port 0` (optionally with node flags, e.g. the heap probe); resolves once it listens. */
export async function startServe({ env, cwd, nodeArgs = [] }) {
  const p = await startProcess([process.execPath, ...nodeArgs, BIN, 'serve', '--port', '0'], { env, cwd, ready: /listening on http:\/\/[^\s:]+:(\d+)/, name: 'labctl serve' });
  return { ...p, port: Number(p.match), url: `http://127.0.0.1:${p.match}` };
}

/** VmRSS and VmHWM (peak) of a process in MB, from /proc/PID/status. */
export function procMemory(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
    return { rssMB: kb('VmRSS') / 1024, peakRssMB: kb('VmHWM') / 1024 };
  } catch {
    return {};
  }
}

/** CPU time (user + system, ms) a process has used so far, from /proc/PID/stat (clock ticks of 10 ms). */
export function procCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // utime, stime (fields 14 and 15)
  } catch {
    return undefined;
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
