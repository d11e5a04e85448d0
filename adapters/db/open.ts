import { join } from 'node:path';
import type { Database, HostProcess } from '../../core/db.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';

export interface OpenOptions {
  /** PostgreSQL URL; when absent, the embedded PGlite database is used. */
  databaseUrl?: string;
  /** Directory whose .labctl/db holds the embedded database (default: the working directory). */
  cwd: string;
  /** Names this process in pg_stat_activity and in the embedded lock. */
  applicationName?: string;
  /** The opening process (for the embedded database's lock file). */
  host: HostProcess;
  /** The environment variable databaseUrl came from, for messages (default DATABASE_URL). */
  variable?: string;
}

/** The one place that picks the state store: DATABASE_URL, else embedded PGlite at .labctl/db. */
export function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, opts.applicationName, opts.variable);
  return openPglite(join(opts.cwd, '.labctl', 'db'), opts.host, opts.applicationName);
}
