import { createColors } from 'picocolors';
import { enrolledExample } from '../../engine/assignment/try-request.js';
import { openMigrated } from '../context.js';
import { EXIT, useColor, type CliIO } from '../io.js';
import { parsePort, startRuntime, untilSignal } from './serve.js';
import { startWatcher, watchSource } from './watch.js';

/** The quick start's suggested request: one the runtime answers with an enrolment. */
function tryLine(base: string, ex: ReturnType<typeof enrolledExample>): string {
  if (!ex) return `  try:      curl '${base}/v1/assign/EXPERIMENT?user_id=u1'  (no running experiment enrols anyone yet)`;
  const query = new URLSearchParams(Object.fromEntries(Object.entries(ex.attributes).map(([k, v]) => [k, String(v)]))).toString();
  return `  try:      curl '${base}/v1/assign/${encodeURIComponent(ex.experiment)}?${query}'`;
}

/** labctl up: migrate, apply the directory, serve, and watch it — the local quick start in one process. */
export async function upCommand(io: CliIO, flags: { dir?: string; port: string; host: string }): Promise<number> {
  const port = parsePort(flags.port);
  const source = watchSource(io, { dir: flags.dir, branch: 'main', interval: '30' });
  const db = await openMigrated(io, 'up');
  try {
    const watcher = await startWatcher(io, db, source);
    const runtime = await startRuntime(io, db, port, flags.host).catch(async (e) => {
      await watcher.stop();
      throw e;
    });
    const c = createColors(useColor(io, 'stderr'));
    const snap = runtime.live.current;
    io.stderr.write(
      [
        '',
        `${c.green(c.bold('labctl is up'))} — ${db.engine} ${db.target}`,
        `  specs:    ${source.kind === 'dir' ? source.dir : ''} (watching; save a file to apply it)`,
        `  runtime:  http://${flags.host}:${runtime.port}  (revision ${snap.revision}, ${snap.running.length} running experiment(s))`,
        tryLine(`http://${flags.host}:${runtime.port}`, enrolledExample(snap, Date.now())),
        '  stop:     Ctrl-C',
        '',
      ].join('\n'),
    );
    const sig = await untilSignal();
    io.stderr.write(`labctl up: ${sig}, stopping…\n`);
    await watcher.stop();
    await runtime.stop();
  } finally {
    await db.close();
  }
  return EXIT.ok;
}
