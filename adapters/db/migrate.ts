import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../../core/hash.js';
import { packageRoot } from '../paths.js';
import type { Database, Queryable } from '../../core/db.js';
import { lockTransaction } from './locks.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

/** An applied migration whose file changed since: the schema no longer matches the files. */
export class MigrationChecksumError extends Error {
  constructor(message: string, readonly hint: string) {
    super(message);
    this.name = 'MigrationChecksumError';
  }
}

/** Migrations shipped in migrations/NNNN_name.sql, in order. */
export function loadMigrations(dir = join(packageRoot(), 'migrations')): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => {
      const sql = readFileSync(join(dir, f), 'utf8');
      return { version: Number(f.slice(0, 4)), name: f, sql, checksum: sha256(sql) };
    });
}

const BOOTSTRAP = `
CREATE SCHEMA IF NOT EXISTS labctl;
CREATE TABLE IF NOT EXISTS labctl.schema_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  checksum   text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);`;

async function applied(q: Queryable): Promise<Map<number, { name: string; checksum: string }>> {
  const exists = await q.query<{ t: string | null }>("SELECT to_regclass('labctl.schema_migrations')::text AS t");
  if (!exists[0]?.t) return new Map();
  const rows = await q.query<{ version: number; name: string; checksum: string }>('SELECT version, name, checksum FROM labctl.schema_migrations');
  return new Map(rows.map((r) => [r.version, r]));
}

/** Pending migrations, or an error when an applied one was edited. */
function pendingOf(all: Migration[], done: Map<number, { name: string; checksum: string }>): Migration[] {
  for (const m of all) {
    const d = done.get(m.version);
    if (d && d.checksum !== m.checksum) {
      throw new MigrationChecksumError(
        `migration ${m.name} was edited after it was applied (recorded checksum ${d.checksum.slice(0, 12)}, file ${m.checksum.slice(0, 12)})`,
        'restore the original file and add a new migration for the change',
      );
    }
  }
  return all.filter((m) => !done.has(m.version));
}

/** Apply pending migrations in one locked transaction; returns the names applied (empty when up to date). */
export async function migrate(db: Database, migrations = loadMigrations()): Promise<string[]> {
  // Fast path without the lock: plan and apply call this every time.
  if (pendingOf(migrations, await applied(db)).length === 0) return [];
  return db.transaction(async (tx) => {
    await lockTransaction(tx, 'migrate', 60_000);
    await tx.exec(BOOTSTRAP);
    const pending = pendingOf(migrations, await applied(tx));
    for (const m of pending) {
      await tx.exec(m.sql);
      await tx.query('INSERT INTO labctl.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
    }
    return pending.map((m) => m.name);
  });
}
