// A throwaway PostgreSQL database per benchmark. BENCH_DATABASE_URL (else TEST_DATABASE_URL, else
// the local test server) names a server where a benchmark may CREATE and DROP its own databases.
import pg from 'pg';

export const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The host identity openDatabase records for the embedded lock (unused on PostgreSQL). */
export const BENCH_HOST = { pid: process.pid, hostname: 'bench', isAlive: () => true };

async function withAdmin(fn) {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Create the database `name` (dropped first if a killed run left it); returns its URL. */
export async function createBenchDatabase(name) {
  await withAdmin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${name}`);
  });
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Drop it again, whoever is still connected. */
export function dropBenchDatabase(name) {
  return withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}
