import { resolve } from 'node:path';
import { createColors } from 'picocolors';
import { openMigrated } from '../context.js';
import { EXIT, useColor, type CliIO } from '../io.js';
import { parsePort, startRuntime, untilSignal } from './serve.js';
import { watchDir } from './watch.js';

/** labctl up: migrate, apply the directory, serve, and watch it — the local quick start in one process. */
export async function upCommand(io: CliIO, flags: { dir?: string; port: string; host: string }): Promise<number> {
  const port = parsePort(flags.port);
  const dir = resolve(io.cwd, flags.dir ?? '.');
  const db = await openMigrated(io, 'up');
  try {
    const watch = await watchDir(io, db, dir);
    const runtime = await startRuntime(io, db, port, flags.host);
    const c = createColors(useColor(io, 'stderr'));
    const snap = runtime.live.current;
    io.stderr.write(
      [
        '',
        `${c.green(c.bold('labctl is up'))} — ${db.engine} ${db.target}`,
        `  specs:    ${dir} (watching; save a file to apply it)`,
        `  runtime:  http://${flags.host}:${runtime.port}  (revision ${snap.revision}, ${snap.running.length} running experiment(s))`,
        `  try:      curl 'http://${flags.host}:${runtime.port}/v1/assign/${snap.running[0]?.name ?? 'EXPERIMENT'}?user_id=u1'`,
        '  stop:     Ctrl-C',
        '',
      ].join('\n'),
    );
    const sig = await untilSignal();
    io.stderr.write(`labctl up: ${sig}, stopping…\n`);
    await watch.stop();
    await runtime.stop();
  } finally {
    await db.close();
  }
  return EXIT.ok;
}
