export type { Database, Queryable } from '../../core/db.js';
export { DatabaseUnavailableError } from '../../core/db.js';
export { openDatabase, type OpenOptions } from './open.js';
export { migrate, loadMigrations, MigrationChecksumError } from './migrate.js';
export { lockTransaction, LockTimeoutError, LOCKS, LOCK_CLASS } from './locks.js';
export { readActualState, writeChanges, recordRun, setAppliedRevision, readStatus, type StatusReport, type RunOutcome } from '../state/state.js';
