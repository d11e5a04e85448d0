import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { BIN } from './cli.js';

/** A spawned, long-running `labctl serve` (the built CLI: run `npx tsc -p .` first). */
export interface ServeProcess {
  child: ChildProcessWithoutNullStreams;
  /** The bound port, read from the "listening on http://HOST:PORT" line. */
  port: number;
  /** http://HOST:PORT */
  url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Send a signal (SIGTERM by default) and wait for the exit; SIGKILL after timeoutMs. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcessWithoutNullStreams>();
let hooked = false;

/** Never leave a server behind when the test process ends. */
function killOnExit(child: ChildProcessWithoutNullStreams): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const c of running) c.kill('SIGKILL');
  });
}

/**
 * Spawn `labctl serve --port 0 --host 127.0.0.1 [...args]` in cwd and wait for its "listening on"
 * line on stderr; fails with the output if the process exits first or does not listen in time.
 */
export function spawnServe(opts: { cwd: string; env?: Record<string, string | undefined>; args?: string[]; timeoutMs?: number }): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', ...(opts.args ?? [])], {
    cwd: opts.cwd,
    env: { ...process.env, NO_COLOR: '1', LABCTL_ACTOR: 'test', ...opts.env },
  });
  killOnExit(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise<ServeProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`labctl serve did not report listening within ${opts.timeoutMs ?? 30_000} ms; stderr: ${err}`));
    }, opts.timeoutMs ?? 30_000);
    let started = false;
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (started) return;
      const m = /listening on (http:\/\/[^\s:]+:(\d+))/.exec(err);
      if (!m) return;
      started = true;
      clearTimeout(timer);
      resolve({
        child,
        port: Number(m[2]),
        url: m[1]!,
        stdout: () => out,
        stderr: () => err,
        exited,
        async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
          if (child.exitCode !== null || child.signalCode !== null) return exited;
          child.kill(signal);
          const kill = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
          const r = await exited;
          clearTimeout(kill);
          return r;
        },
      });
    });
    void exited.then(({ code, signal }) => {
      if (started) return;
      clearTimeout(timer);
      reject(new Error(`labctl serve exited (${code ?? signal}) before listening; stderr: ${err}`));
    });
  });
}
