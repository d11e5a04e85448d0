import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { createColors } from 'picocolors';
import { adminRoutes } from '../../runtime/server/admin.js';
import { sendJson } from '../../core/http.js';
import { Router } from '../../runtime/server/router.js';
import { dispatch } from '../../runtime/server/server.js';
import { resolveActor, resolveGitProvenance } from '../../adapters/git/provenance.js';
import { renderDiagnosticsText } from '../../reconciler/render/diagnostics.js';
import type { Database } from '../../core/db.js';
import { GitSpecSource, defaultGitCacheDir, redactGitUrl } from '../../adapters/git/branch-source.js';
import { TerminalReconcileError } from '../../reconciler/watch/reconciler.js';
import { Watcher, type WatchSource } from '../../reconciler/watch/watcher.js';
import { openMigrated } from '../context.js';
import { currentProcess } from '../host.js';
import { CliError } from '../errors.js';
import { EXIT, useColor, type CliIO } from '../io.js';
import { parseSeconds } from './apply.js';
import { parsePort, untilSignal } from './serve.js';

export interface WatchFlags {
  dir?: string;
  git?: string;
  branch: string;
  interval: string;
  port?: string;
  host: string;
  prune?: boolean;
  resync: string;
}

/** --interval's default (cli/main.ts): 30 s. */
const DEFAULT_INTERVAL_MS = 30_000;

/** Build the watch source from flags: a directory, or a git branch (with --dir as the path inside it). */
export function watchSource(io: CliIO, flags: Pick<WatchFlags, 'dir' | 'git' | 'branch' | 'interval'>): WatchSource {
  // Checked with or without --git: a typo is an error, not an option silently ignored.
  const intervalMs = parseSeconds(flags.interval, '--interval') * 1000;
  if (intervalMs < 1000) throw new CliError('--interval must be at least 1s', 'e.g. --interval 30s');
  if (!flags.git) {
    if (intervalMs !== DEFAULT_INTERVAL_MS) throw new CliError('--interval applies to --git only (a directory is watched for changes as they happen)', 'drop --interval, or add --git URL');
    return { kind: 'dir', dir: resolve(io.cwd, flags.dir ?? '.') };
  }
  return { kind: 'git', git: new GitSpecSource(flags.git, flags.branch, flags.dir ?? '.', defaultGitCacheDir(io.env)), intervalMs };
}

/** Start a watcher on db that reports on stderr. */
export async function startWatcher(io: CliIO, db: Database, source: WatchSource, opts: { prune?: boolean; resyncMs?: number } = {}): Promise<Watcher> {
  const c = createColors(useColor(io, 'stderr'));
  const dir = source.kind === 'dir' ? source.dir : io.cwd;
  const watcher = new Watcher({
    db,
    source,
    actor: () => resolveActor(io.env, dir),
    dirGit: () => resolveGitProvenance(dir),
    prune: opts.prune,
    resyncMs: opts.resyncMs,
    env: io.env,
    host: currentProcess(),
    log: (l) => io.stderr.write(`labctl watch: ${l}\n`),
  });
  watcher.on('applied', (r: { outcome: string; plan: { revision: string; summary: { add: number; change: number; archive: number } } }) => {
    const s = r.plan.summary;
    if (r.outcome === 'applied') io.stderr.write(`${c.green('applied')} revision ${r.plan.revision}: ${s.add} added, ${s.change} changed, ${s.archive} archived\n`);
  });
  watcher.on('failed', (e: Error) => {
    if (e instanceof TerminalReconcileError && e.diagnostics.length) io.stderr.write(renderDiagnosticsText(e.diagnostics, { color: useColor(io, 'stderr') }));
    io.stderr.write(`${c.red('not applied:')} ${e.message}\n`);
  });
  await watcher.start();
  return watcher;
}

/** labctl watch: keep the database reconciled with a directory or a git branch; one leader per database. */
export async function watchCommand(io: CliIO, flags: WatchFlags): Promise<number> {
  const source = watchSource(io, flags);
  const port = flags.port === undefined ? undefined : parsePort(flags.port);
  const db = await openMigrated(io, 'watch');
  try {
    const resyncMs = parseSeconds(flags.resync, '--resync') * 1000;
    const watcher = await startWatcher(io, db, source, { prune: flags.prune, resyncMs });
    let close = async () => undefined as void;
    if (port !== undefined) {
      const log = (l: string) => io.stderr.write(l + '\n');
      const router = new Router([
        { name: 'healthz', method: 'GET', path: '/healthz', handle: (_ctx, { res }) => sendJson(res, 200, { status: 'ok' }) },
        ...adminRoutes({ db, token: io.env.LABCTL_ADMIN_TOKEN || undefined, log }),
      ]);
      const server = createServer((req, res) => void dispatch(router, undefined, req, res, log));
      await new Promise<void>((r) => server.listen(port, flags.host, () => r()));
      const bound = (server.address() as AddressInfo).port;
      io.stderr.write(`labctl watch: status and webhook on http://${flags.host}:${bound}\n`);
      close = () => new Promise<void>((r) => server.close(() => r()));
    }
    const what = source.kind === 'dir' ? source.dir : `${redactGitUrl(source.git.url)} ${source.git.branch}`;
    io.stderr.write(`labctl watch: following ${what} (${db.engine})${watcher.election.isLeader ? '' : '; another watcher leads, standing by'}; Ctrl-C to stop\n`);
    const sig = await untilSignal();
    io.stderr.write(`labctl watch: ${sig}, stopping after the current reconcile…\n`);
    await close();
    await watcher.stop();
  } finally {
    await db.close();
  }
  return EXIT.ok;
}
