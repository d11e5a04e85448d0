import type { Queryable } from '../../core/db.js';
import type { JsonObject } from '../../core/types.js';
import type { SessionStore, SessionWrite, StoredSession } from '../../core/sessions.js';

/** How often expired sessions are deleted (at most; a write triggers it). */
const SWEEP_MS = 60_000;

/** Sessions in labctl.flow_sessions (PostgreSQL or the embedded database), for setups without Redis. */
export class DatabaseSessionStore implements SessionStore {
  readonly kind = 'database' as const;
  private lastSweep = 0;

  constructor(private readonly db: Queryable, private readonly now: () => number = Date.now) {}

  async create(id: string, flow: string, state: JsonObject, ttlMs: number): Promise<boolean> {
    this.sweep();
    const rows = await this.db.query(
      `INSERT INTO labctl.flow_sessions (id, flow, version, state, expires_at)
       VALUES ($1, $2, 1, $3::jsonb, to_timestamp($4 / 1000.0))
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [id, flow, JSON.stringify(state), this.now() + ttlMs],
    );
    return rows.length === 1;
  }

  async get(id: string): Promise<StoredSession | undefined> {
    const [row] = await this.db.query<{ flow: string; version: string; state: JsonObject }>(
      `SELECT flow, version::text AS version, state FROM labctl.flow_sessions WHERE id = $1 AND expires_at > to_timestamp($2 / 1000.0)`,
      [id, this.now()],
    );
    return row ? { id, flow: row.flow, version: Number(row.version), state: row.state } : undefined;
  }

  async update(id: string, expected: number, state: JsonObject, ttlMs: number): Promise<SessionWrite> {
    const now = this.now();
    // One statement: the version check and the write cannot be split by another writer.
    const rows = await this.db.query<{ version: string }>(
      `UPDATE labctl.flow_sessions SET version = version + 1, state = $3::jsonb, expires_at = to_timestamp($4 / 1000.0), updated_at = now()
        WHERE id = $1 AND version = $2 AND expires_at > to_timestamp($5 / 1000.0)
       RETURNING version::text AS version`,
      [id, expected, JSON.stringify(state), now + ttlMs, now],
    );
    if (rows[0]) return { ok: true, version: Number(rows[0].version) };
    return (await this.get(id)) ? { ok: false, reason: 'conflict' } : { ok: false, reason: 'missing' };
  }

  private sweep(): void {
    const now = this.now();
    if (now - this.lastSweep < SWEEP_MS) return;
    this.lastSweep = now;
    // Best effort: a failed sweep is retried by a later one, and get() never returns an expired session.
    this.db.query(`DELETE FROM labctl.flow_sessions WHERE expires_at < to_timestamp($1 / 1000.0)`, [now]).catch(() => undefined);
  }

  async close(): Promise<void> {
    // The database belongs to the caller.
  }
}
