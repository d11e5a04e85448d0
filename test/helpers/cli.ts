import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../cli/main.js';

/** Path of the built CLI (npm test builds before running vitest). */
export const BIN = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** Run the CLI in-process with captured output (no colour). */
export async function cli(args: string[], opts: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliResult> {
  const stdout = new Capture();
  const stderr = new Capture();
  const env = { NO_COLOR: '1', LABCTL_ACTOR: 'test', ...opts.env } as NodeJS.ProcessEnv;
  const code = await runCli(args, { stdout, stderr, env, cwd: opts.cwd });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Spawn the built CLI as a separate process. */
export function spawnCli(args: string[], opts: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: '1', LABCTL_ACTOR: 'test', ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The lines of one change in a text plan: its header line and the indented lines under it. */
export function planBlock(text: string, header: string): string {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.startsWith(header));
  if (i < 0) throw new Error(`no "${header}" in the plan:\n${text}`);
  const out = [lines[i]];
  for (const l of lines.slice(i + 1)) {
    if (!l.startsWith('    ')) break;
    out.push(l);
  }
  return out.join('\n');
}
