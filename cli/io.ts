/** Everything a command may touch of the process, passed in so commands are testable. */
export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** What `labctl chat` reads the user's messages from (default: the process's stdin). */
  stdin?: NodeJS.ReadableStream;
}

/** Colour on a TTY unless NO_COLOR is set; FORCE_COLOR forces it. */
export function useColor(io: CliIO, stream: 'stdout' | 'stderr' = 'stdout'): boolean {
  if (io.env.NO_COLOR) return false;
  if (io.env.FORCE_COLOR && io.env.FORCE_COLOR !== '0') return true;
  return Boolean(io[stream].isTTY);
}

/** Exit codes of the CLI contract. */
export const EXIT = { ok: 0, error: 1, changes: 2, refused: 3 } as const;
