import { EventEmitter } from 'node:events';
import type { FSWatcher } from 'chokidar';
import { readSpecDir, SpecLoader } from '../load/index.js';
import type { Database, HostProcess } from '../../core/db.js';
import { watchSpecDir } from '../../adapters/files/dir-watcher.js';
import { redactGitUrl, type GitSpecSource } from '../../adapters/git/branch-source.js';
import { LeaderElection } from './leader.js';
import { Reconciler, type ReconcileStatus } from './reconciler.js';
import { WatcherRegistry } from '../../adapters/state/watchers.js';

import { RECONCILE_CHANNEL } from '../../core/channels.js';
import { Backoff } from '../../core/retry.js';

/** The useful line of a git error (simple-git messages start with progress output like "Cloning into …"). */
function gitErrorReason(e: Error): string {
  const lines = e.message.split('\n').map((l) => l.trim()).filter(Boolean);
  return redactGitUrl(lines.find((l) => /^(fatal|error):/i.test(l)) ?? lines[lines.length - 1] ?? e.message);
}

export type WatchSource = { kind: 'dir'; dir: string } | { kind: 'git'; git: GitSpecSource; intervalMs: number };

export interface WatcherOptions {
  db: Database;
  source: WatchSource;
  actor: () => Promise<string>;
  /** Commit of a directory source (git HEAD or 'unknown') and whether its specs differ from it. */
  dirGit?: () => Promise<{ sha: string; dirty: boolean }>;
  debounceMs?: number;
  leaderRetryMs?: number;
  /** Archive resources that left the source (as apply --prune; the mass-archive guard still applies). */
  prune?: boolean;
  /** Full reconcile at this interval even without a change, to restore hand edits (0: never). */
  resyncMs?: number;
  /** Environment naming the MLflow server for models and the prompt mirror (default: none, so no MLflow). */
  env?: NodeJS.ProcessEnv;
  /** This process, for the watcher's row. */
  host: HostProcess;
  log?: (line: string) => void;
}

/**
 * A watcher: campaigns for leadership; while leader, reconciles on every change of its source
 * (file events, a moved branch head, or a webhook NOTIFY), and reports its state to labctl.watchers.
 */
export class Watcher extends EventEmitter {
  readonly reconciler: Reconciler;
  readonly election: LeaderElection;
  private readonly registry: WatcherRegistry;
  private fsWatcher: FSWatcher | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  /** The poll interval, stretched up to 16× while fetches fail. */
  private pollBackoff: Backoff | undefined;
  private readonly listenBackoff = new Backoff({ initialMs: 1000, maxMs: 30_000, spread: [1, 1] });
  private unlisten: (() => Promise<void>) | undefined;
  private stopped = false;
  private lastReconciledCommit: string | undefined;
  private kicking: Promise<void> | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: WatcherOptions) {
    super();
    const loader = new SpecLoader();
    const src = opts.source;
    this.reconciler = new Reconciler({
      db: opts.db,
      load: async () => loader.load(src.kind === 'dir' ? await readSpecDir(src.dir) : await src.git.files()),
      actor: opts.actor,
      // A watched branch is always a clean commit.
      git: async () => (src.kind === 'git' ? { sha: src.git.commit ?? 'unknown', dirty: false } : ((await opts.dirGit?.()) ?? { sha: 'unknown', dirty: false })),
      debounceMs: opts.debounceMs,
      log: opts.log,
      shouldRun: () => this.election.isLeader && !this.stopped,
      env: opts.env,
      prune: opts.prune,
    });
    this.election = new LeaderElection(opts.db, opts.leaderRetryMs);
    this.registry = new WatcherRegistry(opts.db, src.kind === 'dir' ? `dir:${src.dir}` : `git:${redactGitUrl(src.git.url)}#${src.git.branch}`, () => this.status(), opts.host);
    this.reconciler.on('applied', (r) => {
      void this.registry.report();
      this.emit('applied', r);
    });
    this.reconciler.on('failed', (e) => {
      void this.registry.report();
      this.emit('failed', e);
    });
    this.election.on('elected', () => {
      opts.log?.('elected leader; reconciling');
      void this.registry.report();
      this.kicking = this.kick();
    });
    this.election.on('deposed', (e: Error) => {
      opts.log?.(`lost leadership (${e.message}); standing by`);
      void this.registry.report();
    });
    this.election.on('error', (e: Error) => opts.log?.(`leader election: ${e.message}`));
  }

  /** Leadership and reconcile state. */
  status(): { leader: boolean; status: ReconcileStatus } {
    return { leader: this.election.isLeader, status: this.reconciler.status };
  }

  /** Start: campaign, follow the source, listen for webhook requests. Resolves once the first attempt is done. */
  async start(): Promise<void> {
    const src = this.opts.source;
    if (src.kind === 'dir') {
      this.fsWatcher = watchSpecDir(src.dir, () => {
        if (this.election.isLeader) this.reconciler.trigger();
      });
      await new Promise<void>((r) => this.fsWatcher!.once('ready', () => r()));
    } else {
      this.schedulePoll(src.intervalMs);
    }
    await this.listenForWebhooks();
    if (this.opts.resyncMs) {
      this.resyncTimer = setInterval(() => {
        if (this.election.isLeader) void this.kick(true);
      }, this.opts.resyncMs);
      this.resyncTimer.unref();
    }
    this.registry.start();
    await this.election.start();
    await this.kicking;
  }

  /** Subscribe to webhook requests; if the connection drops, subscribe again with backoff. */
  private async listenForWebhooks(): Promise<void> {
    try {
      this.unlisten = await this.opts.db.listen(
        RECONCILE_CHANNEL,
        () => {
          if (this.election.isLeader) void this.kick(true);
        },
        () => {
          this.unlisten = undefined;
          // It was subscribed: start again from a short delay.
          this.listenBackoff.reset();
          if (!this.stopped) setTimeout(() => void this.listenForWebhooks(), this.listenBackoff.next()).unref();
        },
      );
      this.listenBackoff.reset();
    } catch (e) {
      this.opts.log?.(`webhook listener: ${(e as Error).message}; retrying`);
      if (!this.stopped) setTimeout(() => void this.listenForWebhooks(), this.listenBackoff.next()).unref();
    }
  }

  /** Reconcile now; for git, fetch first and skip when the head has not moved (unless forced). */
  private async kick(force = false): Promise<void> {
    const src = this.opts.source;
    if (src.kind === 'dir') return this.reconciler.reconcileNow();
    try {
      const { commit } = await src.git.sync();
      const fetchFailed = this.pollBackoff !== undefined && this.pollBackoff.currentMs > src.intervalMs;
      this.pollBackoff?.reset();
      // An unchanged head is only worth another try after a failed fetch; a failed apply retries on
      // its own backoff, and invalid specs wait for the next push.
      if (force || fetchFailed || commit !== this.lastReconciledCommit) {
        this.lastReconciledCommit = commit;
        await this.reconciler.reconcileNow();
      }
    } catch (e) {
      this.pollBackoff?.next();
      const reason = gitErrorReason(e as Error);
      this.reconciler.reportExternalFailure(`git fetch failed: ${reason}`);
      void this.registry.report();
      this.opts.log?.(`git fetch failed: ${reason}`);
    }
  }

  private schedulePoll(intervalMs: number): void {
    if (this.stopped) return;
    this.pollBackoff ??= new Backoff({ initialMs: intervalMs, maxMs: intervalMs * 16, spread: [0.9, 1.1] });
    this.pollTimer = setTimeout(async () => {
      if (this.election.isLeader) await this.kick();
      this.schedulePoll(intervalMs);
    }, this.pollBackoff.peek());
  }

  /** Stop following changes, finish the current reconcile, give up leadership. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pollTimer);
    clearInterval(this.resyncTimer);
    await this.fsWatcher?.close();
    await this.unlisten?.().catch(() => undefined);
    await this.reconciler.stop();
    await this.registry.stop();
    await this.election.stop();
  }
}
