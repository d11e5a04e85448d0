import { EventEmitter } from 'node:events';
import type { Database, DbSession } from '../../core/db.js';
import { LOCK_CLASS, LOCKS } from '../../adapters/db/locks.js';

/**
 * Leader election among watchers on one database: the leader holds a session advisory lock on a
 * dedicated connection. When its process dies the server drops the session and the lock, and the
 * next candidate to poll takes over. Emits 'elected' and 'deposed'.
 */
export class LeaderElection extends EventEmitter {
  private session: DbSession | undefined;
  private leader = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly db: Database, private readonly retryMs = 2000) {
    super();
  }

  get isLeader(): boolean {
    return this.leader;
  }

  /** Start campaigning; resolves after the first attempt. */
  async start(): Promise<void> {
    await this.attempt();
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.attempt(), this.retryMs);
  }

  private async attempt(): Promise<void> {
    if (this.stopped || this.leader) return;
    try {
      if (!this.session) {
        const session = await this.db.openSession();
        this.session = session;
        void session.lost.then((e) => this.onLost(session, e));
      }
      const rows = await this.session.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [LOCK_CLASS, LOCKS.leader.id]);
      if (rows[0]?.ok) {
        this.leader = true;
        this.emit('elected');
        return;
      }
    } catch (e) {
      this.emit('error', e);
    }
    this.schedule();
  }

  private onLost(session: DbSession, e: Error): void {
    if (this.session !== session) return;
    this.session = undefined;
    if (this.leader) {
      this.leader = false;
      this.emit('deposed', e);
    }
    this.schedule();
  }

  /** Give up leadership (if held) and stop campaigning. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const session = this.session;
    this.session = undefined;
    if (session) {
      if (this.leader) await session.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_CLASS, LOCKS.leader.id]).catch(() => undefined);
      await session.release();
    }
    this.leader = false;
  }
}
