import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach } from 'vitest';
import { openDatabase, type Database } from '../../adapters/db/index.js';
import { cli, spawnCli, type CliResult } from './cli.js';
import { createTestDatabase, requirePostgres } from './postgres.js';
import { currentProcess } from '../../cli/host.js';

/** The sample specs shipped with the repository. */
export const SAMPLES = fileURLToPath(new URL('../../experiments', import.meta.url));

export type EngineName = 'pglite' | 'postgres';

export interface Engine {
  name: EngineName;
  /** False when PostgreSQL is unreachable outside CI (under CI=true requirePostgres throws instead). */
  available: boolean;
}

/** Evaluated once per test file (top-level await): the engines the state store runs on. */
export async function engines(): Promise<Engine[]> {
  const pg = await requirePostgres();
  return [
    { name: 'pglite', available: true },
    { name: 'postgres', available: pg },
  ];
}

/**
 * A temporary working directory with a copy of the sample specs under experiments/, and the state
 * store of one engine: embedded PGlite at <dir>/.labctl/db (DATABASE_URL unset), or a fresh
 * PostgreSQL database (DATABASE_URL set).
 */
export interface Workspace {
  engine: EngineName;
  dir: string;
  /** <dir>/experiments */
  specs: string;
  /** Environment for the CLI: DATABASE_URL set (postgres) or explicitly unset (pglite). */
  env: Record<string, string | undefined>;
  /** PostgreSQL URL of this workspace's database (postgres only). */
  url?: string;
  /** Run the CLI in-process with this workspace's cwd and env. */
  cli(args: string[], env?: Record<string, string | undefined>): Promise<CliResult>;
  /** Spawn the built CLI with this workspace's cwd and env. */
  spawn(args: string[], env?: Record<string, string | undefined>): Promise<CliResult>;
  /** Open the state store (taking the embedded lock on PGlite), run fn, close. */
  withDb<T>(fn: (db: Database) => Promise<T>): Promise<T>;
  /** One query through withDb. */
  sql<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  /** Write a file relative to dir (creating folders). */
  write(rel: string, text: string): void;
  /** Remove a file relative to dir. */
  remove(rel: string): void;
  dispose(): Promise<void>;
}

export interface WorkspaceOptions {
  /** Copy the sample specs into experiments/ (default true). */
  samples?: boolean;
  /**
   * The state store to start with: `fresh` (default; nothing created yet), `migrated` (schema only)
   * or `applied` (the sample tree applied).
   */
  state?: 'fresh' | 'migrated' | 'applied';
  /** Same as state: 'applied' (kept for the tests that use it). */
  applied?: boolean;
}

const pgliteTemplates = new Map<string, Promise<string>>();

/**
 * Remove templates of test processes that are gone: a test worker is often ended without running
 * its exit handlers, so the directory name carries the pid that made it.
 */
function sweepTemplates(): void {
  for (const name of readdirSync(tmpdir())) {
    const m = /^labctl-template-(?:migrated|applied)-(\d+)-/.exec(name);
    if (!m || Number(m[1]) === process.pid) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(tmpdir(), name), { recursive: true, force: true });
    }
  }
}

/**
 * An embedded database in a given state, made once per test file through the CLI (initdb and
 * migrations take seconds on PGlite) and copied into each workspace that asks for it.
 */
function pgliteTemplate(state: 'migrated' | 'applied'): Promise<string> {
  let t = pgliteTemplates.get(state);
  if (!t) {
    t = (async () => {
      sweepTemplates();
      const dir = mkdtempSync(join(tmpdir(), `labctl-template-${state}-${process.pid}-`));
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
      cpSync(SAMPLES, join(dir, 'experiments'), { recursive: true });
      const r = await cli([state === 'applied' ? 'apply' : 'migrate'], { cwd: dir, env: { DATABASE_URL: undefined } });
      if (r.code !== 0) throw new Error(`preparing a ${state} PGlite template failed: ${r.stderr}`);
      return join(dir, '.labctl', 'db');
    })();
    pgliteTemplates.set(state, t);
  }
  return t;
}

export async function createWorkspace(engine: EngineName, opts: WorkspaceOptions = {}): Promise<Workspace> {
  const dir = mkdtempSync(join(tmpdir(), `labctl-${engine}-`));
  const specs = join(dir, 'experiments');
  if (opts.samples ?? true) cpSync(SAMPLES, specs, { recursive: true });
  else mkdirSync(specs);
  let url: string | undefined;
  let drop: (() => Promise<void>) | undefined;
  if (engine === 'postgres') ({ url, drop } = await createTestDatabase());
  const state = opts.state ?? (opts.applied ? 'applied' : 'fresh');
  try {
    if (state !== 'fresh') {
      if (engine === 'pglite') cpSync(await pgliteTemplate(state), join(dir, '.labctl', 'db'), { recursive: true });
      else {
        const tmp = mkdtempSync(join(tmpdir(), 'labctl-samples-'));
        cpSync(SAMPLES, join(tmp, 'experiments'), { recursive: true });
        const r = await cli([state === 'applied' ? 'apply' : 'migrate'], { cwd: tmp, env: { DATABASE_URL: url } });
        rmSync(tmp, { recursive: true, force: true });
        if (r.code !== 0) throw new Error(`preparing a ${state} database failed: ${r.stderr}`);
      }
    }
  } catch (e) {
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const env: Record<string, string | undefined> = { DATABASE_URL: url };
  const withDb = async <T>(fn: (db: Database) => Promise<T>): Promise<T> => {
    const db = await openDatabase({ databaseUrl: url, cwd: dir, applicationName: 'labctl test', host: currentProcess() });
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  };
  return {
    engine,
    dir,
    specs,
    env,
    url,
    cli: (args, extra) => cli(args, { cwd: dir, env: { ...env, ...extra } }),
    spawn: (args, extra) => spawnCli(args, { cwd: dir, env: { ...env, ...extra } }),
    withDb,
    sql: (text, params) => withDb((db) => db.query(text, params)),
    write(rel, text) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), text);
    },
    remove(rel) {
      rmSync(join(dir, rel));
    },
    async dispose() {
      await drop?.();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Poll until check returns a truthy value, or fail after timeoutMs; an error thrown by check fails at once. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A fresh workspace for each test of the enclosing describe block, disposed after it. The test is
 * skipped only where engines() reported PostgreSQL unavailable, which never happens under CI=true.
 */
export function useWorkspace(engine: EngineName, available: boolean, opts: WorkspaceOptions = {}): () => Workspace {
  let ws: Workspace | undefined;
  beforeEach(async (ctx) => {
    ctx.skip(!available, 'PostgreSQL is unreachable');
    ws = await createWorkspace(engine, opts);
  });
  afterEach(async () => {
    await ws?.dispose();
    ws = undefined;
  });
  return () => {
    if (!ws) throw new Error('no workspace: useWorkspace() is only usable inside a test');
    return ws;
  };
}
