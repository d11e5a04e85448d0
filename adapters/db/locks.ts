import type { Queryable } from '../../core/db.js';
import { Backoff } from '../../core/retry.js';

/** Advisory lock ids: (LOCK_CLASS, id) in pg_locks; the class spells "lb". */
export const LOCK_CLASS = 0x6c62;
export const LOCKS = {
  migrate: { id: 1, name: 'labctl migrate' },
  apply: { id: 2, name: 'labctl apply' },
  leader: { id: 3, name: 'labctl watch leader' },
} as const;
export type LockName = keyof typeof LOCKS;

/** Another process holds a lock past the timeout. */
export class LockTimeoutError extends Error {
  constructor(message: string, readonly hint: string) {
    super(message);
    this.name = 'LockTimeoutError';
  }
}

/** Describe who holds an advisory lock, from pg_locks/pg_stat_activity (best effort). */
async function holderOf(q: Queryable, id: number): Promise<string> {
  try {
    const rows = await q.query<{ pid: number; app: string | null; since: Date | null }>(
      `SELECT l.pid, a.application_name AS app, a.xact_start AS since
         FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.classid = $1 AND l.objid = $2 AND l.granted LIMIT 1`,
      [LOCK_CLASS, id],
    );
    const r = rows[0];
    if (!r) return 'another session';
    return `backend pid ${r.pid}${r.app ? ` (${r.app})` : ''}${r.since ? ` since ${new Date(r.since).toISOString()}` : ''}`;
  } catch {
    return 'another session';
  }
}

/**
 * Take a transaction-scoped advisory lock, waiting up to timeoutMs; throws LockTimeoutError naming the lock.
 * Polls pg_try_advisory_xact_lock so the wait is bounded on PostgreSQL and PGlite alike.
 */
export async function lockTransaction(tx: Queryable, lock: LockName, timeoutMs: number): Promise<void> {
  const { id, name } = LOCKS[lock];
  const deadline = Date.now() + timeoutMs;
  // Polled without jitter: waiters are few, and the deadline bounds the last wait.
  const backoff = new Backoff({ initialMs: 25, maxMs: 250, spread: [1, 1] });
  for (;;) {
    const rows = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1, $2) AS ok', [LOCK_CLASS, id]);
    if (rows[0]?.ok) return;
    if (Date.now() >= deadline) {
      const holder = await holderOf(tx, id);
      throw new LockTimeoutError(
        `timed out after ${(timeoutMs / 1000).toFixed(1)}s waiting for the "${name}" lock (pg_advisory_xact_lock(${LOCK_CLASS}, ${id})), held by ${holder}`,
        'another apply is running; retry when it finishes, or raise --lock-timeout',
      );
    }
    await new Promise((r) => setTimeout(r, Math.min(backoff.next(), Math.max(1, deadline - Date.now()))));
  }
}
