import type { JsonObject } from './types.js';

/** A conversation's state as stored: opaque to the store, guarded by a version for compare-and-set. */
export interface StoredSession {
  id: string;
  flow: string;
  /** Incremented by every write; a write names the version it read. */
  version: number;
  state: JsonObject;
}

export type SessionWrite = { ok: true; version: number } | { ok: false; reason: 'conflict' | 'missing' };

/**
 * Where flow sessions live: Redis when REDIS_URL is set, else a database table. Every write is a
 * compare-and-set on the version read, so two turns racing on one session never lose a write, and
 * refreshes the session's time to live.
 */
export interface SessionStore {
  readonly kind: 'redis' | 'database' | 'memory';
  /** Store a new session (version 1); false if the id exists. */
  create(id: string, flow: string, state: JsonObject, ttlMs: number): Promise<boolean>;
  /** The session, or undefined when it never existed or has expired. */
  get(id: string): Promise<StoredSession | undefined>;
  /** Replace the state if the stored version is still `expected`. */
  update(id: string, expected: number, state: JsonObject, ttlMs: number): Promise<SessionWrite>;
  close(): Promise<void>;
}
