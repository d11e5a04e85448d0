import pg from 'pg';
import { DatabaseUnavailableError, type Database, type DbSession, type Queryable } from '../../core/db.js';

/** URL without password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

function wrap(client: pg.PoolClient | pg.Pool): Queryable {
  return {
    async query<R>(sql: string, params?: unknown[]) {
      const res = await client.query(sql, params as unknown[] | undefined);
      return res.rows as R[];
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  };
}

/** Connect to PostgreSQL; fails at once with a one-line reason when the server is unreachable. */
export async function openPostgres(url: string, applicationName = 'labctl'): Promise<Database> {
  // TCP keepalive so a silent network partition surfaces as an error instead of a hang.
  const pool = new pg.Pool({ connectionString: url, application_name: applicationName, max: 4, connectionTimeoutMillis: 5000, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
  pool.on('error', () => {
    // Idle client errors (server restart) surface on the next query; keep the process alive.
  });
  try {
    const c = await pool.connect();
    c.release();
  } catch (e) {
    await pool.end().catch(() => undefined);
    const err = e as NodeJS.ErrnoException;
    const reason = err.code === 'ECONNREFUSED' ? 'connection refused' : err.message.split('\n')[0];
    throw new DatabaseUnavailableError(`cannot connect to PostgreSQL at ${redactUrl(url)}: ${reason}`, 'check DATABASE_URL and that the server is running (pg_isready)');
  }
  const base = wrap(pool);
  const listeners: pg.Client[] = [];
  return {
    engine: 'postgres',
    target: redactUrl(url),
    query: base.query,
    exec: base.exec,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
    async listen(channel, onPayload, onLost) {
      // A dedicated connection: pooled clients would drop the subscription.
      const client = new pg.Client({ connectionString: url, application_name: `${applicationName} listener`, connectionTimeoutMillis: 5000, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
      let lost = false;
      const dropped = (e: Error) => {
        if (lost || !listeners.includes(client)) return;
        lost = true;
        listeners.splice(listeners.indexOf(client), 1);
        client.end().catch(() => undefined);
        onLost?.(e);
      };
      client.on('error', dropped);
      client.on('end', () => dropped(new Error('listener connection closed')));
      await client.connect();
      client.on('notification', (n) => {
        if (n.channel === channel) onPayload(n.payload ?? '');
      });
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      listeners.push(client);
      return async () => {
        const i = listeners.indexOf(client);
        if (i >= 0) listeners.splice(i, 1);
        await client.end().catch(() => undefined);
      };
    },
    async openSession(): Promise<DbSession> {
      const client = new pg.Client({ connectionString: url, application_name: `${applicationName} session`, connectionTimeoutMillis: 5000, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
      let released = false;
      const lost = new Promise<Error>((resolve) => {
        client.on('error', (e) => resolve(e));
        client.on('end', () => resolve(new Error(released ? 'session released' : 'session connection closed')));
      });
      await client.connect();
      return {
        ...wrap(client as unknown as pg.PoolClient),
        lost,
        async release() {
          released = true;
          await client.end().catch(() => undefined);
        },
      };
    },
    async close() {
      await Promise.all(listeners.splice(0).map((c) => c.end().catch(() => undefined)));
      await pool.end();
    },
  };
}
