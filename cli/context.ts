import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readSpecDir, SpecLoader, type DesiredState } from '../reconciler/load/index.js';
import { SPEC_FOLDERS } from '../adapters/files/spec-files.js';
import { specDirFileReader } from '../adapters/files/datasets.js';
import { migrate } from '../adapters/db/migrate.js';
import { maintainEventStorage, type EventStorageReport } from '../adapters/events/retention.js';
import { parseRetention } from '../engine/events/validate.js';
import { parseDuration } from '../core/gates/duration.js';
import { openDatabase } from '../adapters/db/open.js';
import type { Database } from '../core/db.js';
import { registryContextFromEnv, type RegistryContext } from '../reconciler/plan/registry.js';
import { CliError } from './errors.js';
import { currentProcess } from './host.js';
import type { CliIO } from './io.js';

/** Load and validate the specs under dir (relative to the working directory). */
export async function loadDir(io: CliIO, dir: string | undefined): Promise<{ dir: string; state: DesiredState }> {
  const abs = resolve(io.cwd, dir ?? '.');
  // A mistyped --dir is a user error, not an internal one (readdir would throw ENOENT).
  const st = await stat(abs).catch(() => undefined);
  if (!st?.isDirectory()) {
    throw new CliError(`spec directory ${dir ?? '.'} ${st ? 'is not a directory' : 'does not exist'} (${abs})`, 'pass --dir a directory of YAML specs');
  }
  // Datasets of evaluations are read too, so a broken one fails validate and plan.
  const state = new SpecLoader().load(await readSpecDir(abs), { readFile: specDirFileReader(abs) });
  const ignored = state.ignored ?? [];
  if (ignored.length > 0) {
    const shown = ignored.slice(0, 3).join(', ') + (ignored.length > 3 ? ', …' : '');
    io.stderr.write(`note: ${ignored.length} YAML file${ignored.length === 1 ? '' : 's'} without a labctl kind ignored (${shown}); add kind: to a file meant as a spec, or keep specs in ${SPEC_FOLDERS.map((f) => `${f}/`).join(', ')}\n`);
  }
  if (state.files === 0) {
    io.stderr.write(`warning: no spec files found in ${dir ?? '.'} (${abs}): nothing to validate, plan or apply\n  hint: pass --dir the folder that holds your specs (validate --strict makes this an error)\n`);
  }
  return { dir: abs, state };
}

/** LABCTL_EVENT_RETENTION in milliseconds (undefined: keep events forever); a bad value is a user error. */
export function eventRetention(io: CliIO): number | undefined {
  const r = parseRetention(io.env.LABCTL_EVENT_RETENTION);
  if (!r.ok) throw new CliError(r.message, r.hint);
  return r.ms;
}

/** LABCTL_RESULTS_MAX_AGE in milliseconds: how long serve reuses a computed result (default 60 s). */
export function resultsMaxAge(io: CliIO): number {
  const text = io.env.LABCTL_RESULTS_MAX_AGE;
  if (text === undefined || text.trim() === '') return 60_000;
  if (text.trim() === '0') return 0;
  const d = parseDuration(text);
  if (!d.ok) throw new CliError(`LABCTL_RESULTS_MAX_AGE="${text}": ${d.message}`, d.hint);
  return d.seconds * 1000;
}

/**
 * The database the results aggregate reads, when LABCTL_RESULTS_DATABASE_URL names one (a
 * PostgreSQL read replica of DATABASE_URL): opened as is, never migrated or written.
 */
export async function openResultsReader(io: CliIO, command: string): Promise<Database | undefined> {
  const url = io.env.LABCTL_RESULTS_DATABASE_URL;
  if (!url) return undefined;
  if (!io.env.DATABASE_URL) throw new CliError('LABCTL_RESULTS_DATABASE_URL is set but DATABASE_URL is not', 'a results replica needs a PostgreSQL primary: set DATABASE_URL, or unset LABCTL_RESULTS_DATABASE_URL');
  return openDatabase({ databaseUrl: url, cwd: io.cwd, applicationName: `labctl ${command} (results)`, host: currentProcess(), variable: 'LABCTL_RESULTS_DATABASE_URL' });
}

/** Run fn with the results reader (undefined: the aggregate runs on the primary) and close it. */
export async function withResultsReader<T>(io: CliIO, command: string, fn: (reader: Database | undefined) => Promise<T>): Promise<T> {
  const reader = await openResultsReader(io, command);
  try {
    return await fn(reader);
  } finally {
    await reader?.close();
  }
}

/**
 * Bring the schema up to date, then the event store: this month's partition and the next ones
 * (live traffic then never waits on DDL), and the retention when LABCTL_EVENT_RETENTION is set.
 */
export async function migrateAll(io: CliIO, db: Database): Promise<{ applied: string[]; events: EventStorageReport }> {
  const retentionMs = eventRetention(io);
  const applied = await migrate(db);
  const events = await maintainEventStorage(db, { nowMs: Date.now(), retentionMs });
  return { applied, events };
}

/** Open the state store named by DATABASE_URL (else embedded PGlite) and bring its schema up to date. */
export async function openMigrated(io: CliIO, command: string): Promise<Database> {
  const db = await openDatabase({ databaseUrl: io.env.DATABASE_URL || undefined, cwd: io.cwd, applicationName: `labctl ${command}`, host: currentProcess() });
  try {
    await migrateAll(io, db);
    return db;
  } catch (e) {
    await db.close();
    throw e;
  }
}

/** Run fn with an open, migrated database and always close it. */
export async function withDatabase<T>(io: CliIO, command: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openMigrated(io, command);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** How plan and apply reach MLflow: from MLFLOW_TRACKING_URI and its credentials; a bad URI is a user error. */
export function registryFromEnv(io: CliIO, consequence = ''): RegistryContext {
  try {
    return registryContextFromEnv(io.env);
  } catch (e) {
    throw new CliError(`${(e as Error).message}${consequence}`, 'fix the MLFLOW_* setting it names (MLFLOW_TRACKING_URI is the http(s) URL of the tracking server), or unset MLFLOW_TRACKING_URI to skip MLflow');
  }
}
