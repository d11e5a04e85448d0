import { EventEmitter } from 'node:events';
import { CHANGES_CHANNEL } from '../../core/channels.js';
import { Backoff, Coalescer } from '../../core/retry.js';
import type { Database, HostProcess } from '../../core/db.js';
import { KINDS } from '../../kinds/index.js';
import type { SnapshotHealth } from '../../kinds/routes.js';
import type { KindDef } from '../../kinds/types.js';
import { migrate } from '../../adapters/db/migrate.js';
import { openDatabase } from '../../adapters/db/open.js';
import type { Snapshot } from '../../engine/assignment/snapshot.js';
import { loadAppliedSnapshot, readAppliedRevision } from './load.js';

export interface LiveSnapshotOptions {
  /** PostgreSQL URL; embedded PGlite in cwd/.labctl/db when absent. */
  databaseUrl?: string;
  cwd?: string;
  /** Use an already open database instead (not closed by close()). */
  db?: Database;
  /** The opening process, needed when this opens the database (the embedded one's lock file). */
  host?: HostProcess;
  /** The kinds to read (default: every kind labctl knows). */
  kinds?: readonly KindDef[];
  /** Revision check interval while healthy (the NOTIFY path is the fast one). */
  pollMs?: number;
  /** Longest wait between reconnection attempts while the database is unreachable. */
  maxBackoffMs?: number;
  /** A check the database does not answer within this time (a silent outage) counts as a failure. */
  checkTimeoutMs?: number;
}

/** Health of the live snapshot, for /readyz and /metrics. */
export type LiveHealth = SnapshotHealth;

/**
 * The applied state, kept current: reloaded on NOTIFY labctl_changes, checked by polling, and kept as
 * the last good snapshot while the database is unreachable (reconnecting with backoff).
 */
export class LiveSnapshot extends EventEmitter {
  private snapshot!: Snapshot;
  private syncedAt = 0;
  private healthy = true;
  private lastError: string | null = null;
  private reloadCount = 0;
  private unlisten: (() => Promise<void>) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private readonly reloads: Coalescer;
  private checking: Promise<void> | undefined;
  private closed = false;

  private constructor(
    readonly db: Database,
    private readonly ownsDb: boolean,
    private readonly pollMs: number,
    maxBackoffMs: number,
    private readonly checkTimeoutMs: number,
    private readonly kinds: readonly KindDef[] = KINDS,
  ) {
    super();
    this.backoff = new Backoff({ initialMs: 250, maxMs: maxBackoffMs });
    this.reloads = new Coalescer(() => this.reloadOnce(), () => !this.closed);
  }

  /** Open the database (if not given), load the applied state and start following changes. */
  static async open(opts: LiveSnapshotOptions = {}): Promise<LiveSnapshot> {
    if (!opts.db && (!opts.host || !opts.cwd)) throw new TypeError('LiveSnapshot.open needs db, or host and cwd to open one (openSnapshot from labctl fills them in)');
    const db = opts.db ?? (await openDatabase({ databaseUrl: opts.databaseUrl, cwd: opts.cwd!, applicationName: 'labctl serve', host: opts.host! }));
    const live = new LiveSnapshot(db, !opts.db, opts.pollMs ?? 5000, opts.maxBackoffMs ?? 30_000, opts.checkTimeoutMs ?? 5000, opts.kinds);
    try {
      await migrate(db);
      live.snapshot = await loadAppliedSnapshot(db, live.kinds);
      live.syncedAt = Date.now();
      await live.subscribe();
    } catch (e) {
      if (live.ownsDb) await db.close().catch(() => undefined);
      throw e;
    }
    live.schedule(live.pollMs);
    return live;
  }

  /** The snapshot to serve now; never undefined, never mutated. */
  get current(): Snapshot {
    return this.snapshot;
  }

  health(): LiveHealth {
    return {
      status: this.healthy ? 'ready' : 'degraded',
      revision: this.snapshot.revision,
      ageSeconds: (Date.now() - this.syncedAt) / 1000,
      lastError: this.lastError,
      reloads: this.reloadCount,
    };
  }

  /** Reload now (coalesced: concurrent requests share one reload, and one more runs if asked meanwhile). */
  reload(): Promise<void> {
    return this.reloads.run();
  }

  private async reloadOnce(): Promise<void> {
    try {
      const next = await loadAppliedSnapshot(this.db, this.kinds);
      const changed = next.revision !== this.snapshot.revision;
      this.snapshot = next;
      this.syncedAt = Date.now();
      this.reloadCount++;
      this.markHealthy();
      if (changed) this.emit('change', next);
    } catch (e) {
      this.markDegraded(e as Error);
    }
  }

  private markHealthy(): void {
    this.healthy = true;
    this.lastError = null;
    this.backoff.reset();
  }

  private markDegraded(e: Error): void {
    if (this.healthy) this.emit('degraded', e);
    this.healthy = false;
    this.lastError = e.message.split('\n')[0] ?? 'error';
  }

  private async subscribe(): Promise<void> {
    this.unlisten = await this.db.listen(
      CHANGES_CHANNEL,
      () => void this.reload(),
      (e) => {
        this.unlisten = undefined;
        this.markDegraded(e);
        this.schedule(this.backoff.currentMs);
      },
    );
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.check(), ms);
    this.timer.unref();
  }

  /**
   * Poll: confirm the revision, re-subscribe after an outage, back off exponentially while failing.
   * A database that stops answering without an error (a network partition) fails the check after
   * checkTimeoutMs, so the loop goes on; a check still pending is joined, never run twice at once.
   */
  private async check(): Promise<void> {
    this.checking ??= (async () => {
      const revision = await readAppliedRevision(this.db);
      if (!this.unlisten) await this.subscribe();
      if (revision !== this.snapshot.revision || !this.healthy) await this.reload();
      else {
        this.syncedAt = Date.now();
        this.markHealthy();
      }
    })().finally(() => (this.checking = undefined));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.checking,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`the database did not answer within ${this.checkTimeoutMs} ms`)), this.checkTimeoutMs);
          timer.unref();
        }),
      ]);
    } catch (e) {
      this.markDegraded(e as Error);
    } finally {
      clearTimeout(timer);
    }
    if (this.healthy) this.schedule(this.pollMs);
    else {
      this.schedule(this.backoff.next());
    }
  }

  /** Stop following changes; closes the database if this object opened it. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.unlisten?.().catch(() => undefined);
    await this.reloads.settled();
    if (this.ownsDb) await this.db.close();
  }
}
