import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Server the integration tests use; CI starts it. */
export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let reachable: Promise<boolean> | undefined;

/** Whether the test PostgreSQL server answers. */
export function postgresReachable(): Promise<boolean> {
  reachable ??= (async () => {
    const c = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
    try {
      await c.connect();
      await c.end();
      return true;
    } catch {
      return false;
    }
  })();
  return reachable;
}

/**
 * True when Postgres tests should run. Under CI=true a missing server is a failure, never a skip:
 * this throws so the suite fails loudly.
 */
export async function requirePostgres(): Promise<boolean> {
  const ok = await postgresReachable();
  if (!ok && process.env.CI === 'true') throw new Error(`PostgreSQL is required in CI but ${ADMIN_URL} is unreachable`);
  return ok;
}

/**
 * A fresh, empty database on the test server (or a copy of the database at copyOf, which must
 * have no open connections); drop() removes it.
 */
export async function createTestDatabase(copyOf?: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `labctl_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}${copyOf ? ` TEMPLATE ${new URL(copyOf).pathname.slice(1)}` : ''}`);
  await admin.end();
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
