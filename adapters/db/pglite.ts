import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { DatabaseUnavailableError, type Database, type DbSession, type HostProcess, type Queryable } from '../../core/db.js';

interface LockInfo {
  pid: number;
  host: string;
  command: string;
  started: string;
}

/**
 * Move a dead holder's lock file aside atomically. Two processes may race here: only one rename
 * succeeds, and if what was moved is not the dead holder's (another process took over first), it
 * is put back and we report the lock as taken.
 */
function takeOver(lockPath: string, dead: LockInfo, self: HostProcess): boolean {
  const aside = `${lockPath}.stale-${self.pid}`;
  try {
    renameSync(lockPath, aside);
  } catch {
    return true; // someone else moved it; try to create ours
  }
  let moved: LockInfo | undefined;
  try {
    moved = JSON.parse(readFileSync(aside, 'utf8')) as LockInfo;
  } catch {
    moved = undefined;
  }
  if (moved && (moved.pid !== dead.pid || moved.started !== dead.started)) {
    try {
      linkSync(aside, lockPath);
    } catch {
      // a third process holds it now; either way it is not ours
    }
    rmSync(aside, { force: true });
    return false;
  }
  rmSync(aside, { force: true });
  return true;
}

/**
 * PGlite is single-process: take an exclusive lock file next to the data directory, or fail at once
 * naming the holder. A lock left by a dead process on this host is taken over.
 */
function acquireLock(dataDir: string, command: string, self: HostProcess): () => void {
  const lockPath = `${dataDir}.lock`;
  const info: LockInfo = { pid: self.pid, host: self.hostname, command, started: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, JSON.stringify(info));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder: LockInfo | undefined;
      try {
        holder = JSON.parse(readFileSync(lockPath, 'utf8')) as LockInfo;
      } catch {
        holder = undefined;
      }
      if (holder && holder.host === self.hostname && !self.isAlive(holder.pid) && takeOver(lockPath, holder, self)) continue;
      const who = holder ? `process ${holder.pid} (${holder.command}, on ${holder.host} since ${holder.started})` : 'another process';
      throw new DatabaseUnavailableError(
        `the embedded database ${dataDir} is in use by ${who}`,
        'stop that process, or set DATABASE_URL to a PostgreSQL server so several processes can share the state',
      );
    }
  }
  throw new DatabaseUnavailableError(`cannot lock the embedded database ${dataDir}`);
}

function wrap(db: Pick<PGlite, 'query' | 'exec'>): Queryable {
  return {
    async query<R>(sql: string, params?: unknown[]) {
      const res = await db.query<R>(sql, params);
      return res.rows;
    },
    async exec(sql: string) {
      await db.exec(sql);
    },
  };
}

/** Open (creating if needed) the embedded database at dataDir, held exclusively by this process. */
export async function openPglite(dataDir: string, self: HostProcess, command = 'labctl'): Promise<Database> {
  const dir = resolve(dataDir);
  mkdirSync(join(dir, '..'), { recursive: true });
  const release = acquireLock(dir, command, self);
  let db: PGlite;
  try {
    db = await PGlite.create(dir);
  } catch (e) {
    release();
    throw new DatabaseUnavailableError(`cannot open the embedded database ${dir}: ${(e as Error).message}`, 'move the directory away to start afresh, or set DATABASE_URL');
  }
  const base = wrap(db);
  return {
    engine: 'pglite',
    target: dir,
    query: base.query,
    exec: base.exec,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    async listen(channel, onPayload) {
      const unsub = await db.listen(channel, onPayload);
      return () => unsub();
    },
    async openSession(): Promise<DbSession> {
      // PGlite has one connection and one process: the session is the database itself.
      let release!: (e: Error) => void;
      const lost = new Promise<Error>((r) => (release = r));
      return { ...base, lost, release: async () => release(new Error('session released')) };
    },
    async close() {
      try {
        await db.close();
      } finally {
        release();
      }
    },
  };
}
