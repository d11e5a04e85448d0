import { randomBytes } from 'node:crypto';
import type { HostProcess, Queryable } from '../../core/db.js';

/** A watcher's reconcile state as its row records it. */
export interface WatcherStatus {
  state: 'Ready' | 'Reconciling' | 'Stalled';
  lastAppliedRevision: string | null;
  lastAttemptedRevision: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  lastReconcileAt: string | null;
}

/** A watcher as `labctl status` and GET /v1/status show it. */
export interface WatcherRow {
  id: string;
  host: string;
  pid: number;
  source: string;
  leader: boolean;
  state: string;
  lastAppliedRevision: string | null;
  lastAttemptedRevision: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  heartbeatAt: string;
}

/** Watchers whose heartbeat is older than this are not listed. */
export const WATCHER_STALE_SECONDS = 20;

/** Keeps this watcher's row in labctl.watchers current (on change and by heartbeat). */
export class WatcherRegistry {
  readonly id: string;
  private timer: NodeJS.Timeout | undefined;
  private writes: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly db: Queryable,
    private readonly source: string,
    private readonly status: () => { leader: boolean; status: WatcherStatus },
    private readonly host: HostProcess,
  ) {
    this.id = `${host.hostname}:${host.pid}:${randomBytes(3).toString('hex')}`;
  }

  /**
   * Write the current state now (best effort: a status row must never stop reconciling). Writes run
   * one at a time, so a late one can neither overwrite a newer state nor re-create the row after stop().
   */
  report(): Promise<void> {
    if (!this.stopped) this.writes = this.writes.then(() => this.write());
    return this.writes;
  }

  private async write(): Promise<void> {
    if (this.stopped) return;
    const { leader, status: s } = this.status();
    const state = leader ? s.state : 'Standby';
    // Only the holder of the leader lock is leader: another row claiming it belongs to a watcher that
    // lost its session (killed, or cut off), which must not be shown as leading; if it lives on, its
    // next report brings it back as a standby.
    if (leader) await this.db.query('DELETE FROM labctl.watchers WHERE leader AND id <> $1', [this.id]).catch(() => undefined);
    await this.db
      .query(
        `INSERT INTO labctl.watchers (id, host, pid, source, leader, state, last_applied_revision, last_attempted_revision, last_error, last_error_at, heartbeat_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now())
         ON CONFLICT (id) DO UPDATE SET leader = EXCLUDED.leader, state = EXCLUDED.state, last_applied_revision = EXCLUDED.last_applied_revision,
           last_attempted_revision = EXCLUDED.last_attempted_revision, last_error = EXCLUDED.last_error, last_error_at = EXCLUDED.last_error_at, heartbeat_at = now()`,
        [this.id, this.host.hostname, this.host.pid, this.source, leader, state, s.lastAppliedRevision, s.lastAttemptedRevision, s.lastError, s.lastErrorAt],
      )
      .catch(() => undefined);
  }

  /** Heartbeat every intervalMs. */
  start(intervalMs = 5000): void {
    void this.report();
    this.timer = setInterval(() => void this.report(), intervalMs);
    this.timer.unref();
  }

  /** Remove this watcher's row. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.writes;
    await this.db.query('DELETE FROM labctl.watchers WHERE id = $1', [this.id]).catch(() => undefined);
  }
}

/** Live watchers (recent heartbeat), leader first. */
export async function readWatchers(q: Queryable): Promise<WatcherRow[]> {
  const rows = await q.query<{
    id: string;
    host: string;
    pid: number;
    source: string;
    leader: boolean;
    state: string;
    last_applied_revision: string | null;
    last_attempted_revision: string | null;
    last_error: string | null;
    last_error_at: Date | null;
    heartbeat_at: Date;
  }>(`SELECT * FROM labctl.watchers WHERE heartbeat_at > now() - make_interval(secs => $1) ORDER BY leader DESC, started_at`, [WATCHER_STALE_SECONDS]);
  return rows.map((r) => ({
    id: r.id,
    host: r.host,
    pid: r.pid,
    source: r.source,
    leader: r.leader,
    state: r.state,
    lastAppliedRevision: r.last_applied_revision,
    lastAttemptedRevision: r.last_attempted_revision,
    lastError: r.last_error,
    lastErrorAt: r.last_error_at ? new Date(r.last_error_at).toISOString() : null,
    heartbeatAt: new Date(r.heartbeat_at).toISOString(),
  }));
}
