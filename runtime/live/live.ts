import { EventEmitter } from 'node:events';
import { CHANGES_CHANNEL } from '../../core/channels.js';
import type { Database } from '../../core/db.js';
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
  /** Revision check interval while healthy (the NOTIFY path is the fast one). */
  pollMs?: number;
  /** Longest wait between reconnection attempts while the database is unreachable. */
  maxBackoffMs?: number;
  /** A check the database does not answer within this time (a silent outage) counts as a failure. */
  checkTimeoutMs?: number;
}

/** Health of the live snapshot, for /readyz and /metrics. */
export interface LiveHealth {
  status: 'ready' | 'degraded';
  revision: string;
  /** Seconds since the snapshot was last confirmed current against the database. */
  ageSeconds: number;
  lastError: string | null;
  reloads: number;
}

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
  private backoff: number;
  private reloading: Promise<void> | undefined;
  private reloadAgain = false;
  private checking: Promise<void> | undefined;
  private closed = false;

  private constructor(
    readonly db: Database,
    private readonly ownsDb: boolean,
    private readonly pollMs: number,
    private readonly maxBackoffMs: number,
    private readonly checkTimeoutMs: number,
  ) {
    super();
    this.backoff = 250;
  }

  /** Open the database (if not given), load the applied state and start following changes. */
  static async open(opts: LiveSnapshotOptions = {}): Promise<LiveSnapshot> {
    const db = opts.db ?? (await openDatabase({ databaseUrl: opts.databaseUrl, cwd: opts.cwd ?? process.cwd(), applicationName: 'labctl serve' }));
    const live = new LiveSnapshot(db, !opts.db, opts.pollMs ?? 5000, opts.maxBackoffMs ?? 30_000, opts.checkTimeoutMs ?? 5000);
    try {
      await migrate(db);
      live.snapshot = await loadAppliedSnapshot(db);
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
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      try {
        do {
          this.reloadAgain = false;
          const next = await loadAppliedSnapshot(this.db);
          const changed = next.revision !== this.snapshot.revision;
          this.snapshot = next;
          this.syncedAt = Date.now();
          this.reloadCount++;
          this.markHealthy();
          if (changed) this.emit('change', next);
        } while (this.reloadAgain && !this.closed);
      } catch (e) {
        this.markDegraded(e as Error);
      } finally {
        this.reloading = undefined;
      }
    })();
    return this.reloading;
  }

  private markHealthy(): void {
    this.healthy = true;
    this.lastError = null;
    this.backoff = 250;
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
        this.schedule(this.backoff);
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
      const jitter = 0.8 + Math.random() * 0.4;
      this.schedule(this.backoff * jitter);
      this.backoff = Math.min(this.backoff * 2, this.maxBackoffMs);
    }
  }

  /** Stop following changes; closes the database if this object opened it. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.unlisten?.().catch(() => undefined);
    await this.reloading;
    if (this.ownsDb) await this.db.close();
  }
}

/** Open a live snapshot of the applied state (DESIGN §6b). */
export function openSnapshot(opts: LiveSnapshotOptions = {}): Promise<LiveSnapshot> {
  return LiveSnapshot.open(opts);
}
