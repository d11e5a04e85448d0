import pg from 'pg';
import { DatabaseUnavailableError, type Database, type DbSession, type Queryable } from '../../core/db.js';

/** URL without password, query or fragment, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.username ? `${u.username}${u.password ? ':***' : ''}@` : ''}${u.host}${u.pathname}`;
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

const URL_HINT = 'write postgres://USER:PASSWORD@HOST:5432/DATABASE (percent-encode @ : / # ? in the password, e.g. p%40ss)';

/** What is wrong with a PostgreSQL URL before connecting (variable: where it came from), or undefined. */
export function postgresUrlProblem(url: string, variable = 'DATABASE_URL'): { message: string; hint: string } | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { message: `${variable} is not a URL`, hint: URL_HINT };
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') return { message: `${variable} must be a postgres:// or postgresql:// URL, not ${u.protocol}//`, hint: `${URL_HINT}; unset ${variable} to use the embedded database` };
  // A # ends the URL's authority: a password holding one would be cut there, and its rest taken for the host.
  if (u.hash !== '') return { message: `${variable} holds a "#", which ends a URL (a password with # must be percent-encoded as %23)`, hint: URL_HINT };
  if (!u.hostname && !u.searchParams.get('host')) return { message: `${variable} names no host`, hint: URL_HINT };
  return undefined;
}

/** The reason a connection failed, in words (the driver's messages name no variable and no host). */
function connectReason(err: NodeJS.ErrnoException & { hostname?: string }, u: URL | undefined): string {
  const at = u ? `${u.hostname}:${u.port || 5432}` : 'the server';
  switch (err.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host "${err.hostname ?? u?.hostname}" not found (DNS; if the password holds @ / ? or :, percent-encode them)`;
    case 'ECONNREFUSED':
      return `connection refused at ${at} (nothing listens there)`;
    case 'ETIMEDOUT':
      return `no answer from ${at}`;
    case '28P01':
    case '28000':
      return `authentication failed: ${err.message.split('\n')[0]}`;
    case '3D000':
      return `${err.message.split('\n')[0]} (create it, or fix the path of the URL)`;
    default:
      return /timeout/i.test(err.message) ? `no answer from ${at} within 5 s` : err.message.split('\n')[0]!;
  }
}

/** Connect to PostgreSQL; fails at once with a one-line reason when the server is unreachable. */
export async function openPostgres(url: string, applicationName = 'labctl', variable = 'DATABASE_URL'): Promise<Database> {
  const bad = postgresUrlProblem(url, variable);
  if (bad) throw new DatabaseUnavailableError(bad.message, bad.hint);
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
    throw new DatabaseUnavailableError(`cannot connect to PostgreSQL at ${redactUrl(url)} (${variable}): ${connectReason(err, new URL(url))}`, `check ${variable} and that the server is running (pg_isready -h HOST -p PORT)`);
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
