import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BIN } from './cli.js';
import { waitFor } from './engines.js';

/** A spawned, long-running labctl command (watch, up): the built CLI, so run `npx tsc -p .` first. */
export interface LabctlProcess {
  child: ChildProcessWithoutNullStreams;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly running: boolean;
  /**
   * Wait until stderr, from character offset `from` on, matches pattern; returns the match. Fails
   * with the output when the process exits first or the deadline passes.
   */
  waitForStderr(pattern: RegExp, opts?: { from?: number; timeoutMs?: number }): Promise<RegExpMatchArray>;
  /** Send a signal (SIGTERM by default) and wait for the exit; SIGKILL after timeoutMs. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const alive = new Set<ChildProcessWithoutNullStreams>();
process.once('exit', () => {
  for (const c of alive) c.kill('SIGKILL');
});

/** A spawned node process with its output collected as it arrives; killed if the test process exits. */
function spawnTracked(argv: string[], env: NodeJS.ProcessEnv, cwd: string, label: string): LabctlProcess & { waitForStream(stream: 'stdout' | 'stderr', pattern: RegExp, opts?: { from?: number; timeoutMs?: number }): Promise<RegExpMatchArray> } {
  const child = spawn(process.execPath, argv, { cwd, env });
  alive.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    // 'close', not 'exit': stderr may still hold the last lines when 'exit' fires.
    child.once('close', (code, signal) => {
      done = true;
      alive.delete(child);
      resolve({ code, signal });
    }),
  );
  const waitForStream = async (stream: 'stdout' | 'stderr', pattern: RegExp, { from = 0, timeoutMs = 20_000 }: { from?: number; timeoutMs?: number } = {}) => {
    try {
      return await waitFor(() => {
        const m = pattern.exec((stream === 'stdout' ? out : err).slice(from));
        if (m) return m;
        if (done) throw new Error(`${label} exited before printing ${String(pattern)}`);
        return null;
      }, `${String(pattern)} from ${label}`, timeoutMs);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- stdout of ${label} (pid ${child.pid}) ---\n${out}\n--- stderr ---\n${err}`);
    }
  };
  return {
    child,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    exited,
    get running() {
      return !done;
    },
    waitForStream,
    waitForStderr: (pattern, opts) => waitForStream('stderr', pattern, opts),
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      if (done) return exited;
      child.kill(signal);
      const kill = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const r = await exited;
      clearTimeout(kill);
      return r;
    },
  };
}

/** Spawn `labctl ...args` in cwd with env added to the process env (NO_COLOR, LABCTL_ACTOR=test). */
export function spawnLabctl(args: string[], opts: { cwd: string; env?: Record<string, string | undefined> }): LabctlProcess {
  return spawnTracked([BIN, ...args], { ...process.env, NO_COLOR: '1', LABCTL_ACTOR: 'test', ...opts.env }, opts.cwd, `labctl ${args.join(' ')}`);
}

/** A spawned helper script (test/helpers/*.mjs). */
export interface Helper extends LabctlProcess {
  /** Wait until stdout contains text (fails early if the process exits first). */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
}

/** Spawn `node script ...args` (a helper under test/helpers/) in cwd with env added to the process env. */
export function spawnHelper(script: string, args: string[], opts: { cwd: string; env?: Record<string, string | undefined> }): Helper {
  const p = spawnTracked([fileURLToPath(new URL(script, import.meta.url)), ...args], { ...process.env, NO_COLOR: '1', ...opts.env }, opts.cwd, script);
  return Object.assign(p, {
    async waitForOutput(text: string, timeoutMs?: number) {
      await p.waitForStream('stdout', new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), { timeoutMs });
    },
  });
}

/** GET a URL and parse its JSON body. */
export async function getJson<T = Record<string, unknown>>(url: string, init?: RequestInit): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T, headers: res.headers };
}
