import { resolve } from 'node:path';
import { createColors } from 'picocolors';
import { resolveActor, resolveGitSha } from '../../apply/provenance.js';
import { readSpecDir, SpecLoader } from '../../load/index.js';
import { renderDiagnosticsText } from '../../render/diagnostics.js';
import type { Database } from '../../stores/db.js';
import { Reconciler, TerminalReconcileError } from '../../watch/reconciler.js';
import { watchSpecDir } from '../../watch/dir-watcher.js';
import { openMigrated } from '../context.js';
import { CliError } from '../errors.js';
import { EXIT, useColor, type CliIO } from '../io.js';
import { untilSignal } from './serve.js';

/** A reconciler following a directory, with its file watcher. */
export interface DirWatch {
  reconciler: Reconciler;
  stop(): Promise<void>;
}

/** Reconcile dir into db now and on every change to its specs; report outcomes on stderr. */
export async function watchDir(io: CliIO, db: Database, dir: string): Promise<DirWatch> {
  const loader = new SpecLoader();
  const c = createColors(useColor(io, 'stderr'));
  const reconciler = new Reconciler({
    db,
    load: async () => loader.load(await readSpecDir(dir)),
    actor: () => resolveActor(io.env, dir),
    gitSha: () => resolveGitSha(dir),
    log: (l) => io.stderr.write(`labctl watch: ${l}\n`),
  });
  reconciler.on('applied', (r: { outcome: string; plan: { revision: string; summary: { add: number; change: number; archive: number } } }) => {
    const s = r.plan.summary;
    if (r.outcome === 'applied') io.stderr.write(`${c.green('applied')} revision ${r.plan.revision}: ${s.add} added, ${s.change} changed, ${s.archive} archived\n`);
  });
  reconciler.on('failed', (e: Error) => {
    if (e instanceof TerminalReconcileError && e.diagnostics.length) io.stderr.write(renderDiagnosticsText(e.diagnostics, { color: useColor(io, 'stderr') }));
    io.stderr.write(`${c.red('not applied:')} ${e.message}\n`);
  });
  await reconciler.reconcileNow();
  const watcher = watchSpecDir(dir, () => reconciler.trigger());
  await new Promise<void>((r) => watcher.once('ready', () => r()));
  return {
    reconciler,
    async stop() {
      await watcher.close();
      await reconciler.stop();
    },
  };
}

/** labctl watch --dir D: keep the database reconciled with a directory of specs. */
export async function watchCommand(io: CliIO, flags: { dir?: string; git?: string }): Promise<number> {
  if (flags.git) throw new CliError('--git is not available yet in this version', 'watch a local checkout with --dir');
  const dir = resolve(io.cwd, flags.dir ?? '.');
  const db = await openMigrated(io, 'watch');
  try {
    const w = await watchDir(io, db, dir);
    io.stderr.write(`labctl watch: following ${dir} (${db.engine}); Ctrl-C to stop\n`);
    await untilSignal();
    await w.stop();
  } finally {
    await db.close();
  }
  return EXIT.ok;
}
