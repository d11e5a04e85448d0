/** Anything that runs SQL: a database or a transaction on it. */
export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Run several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** A state store connection: PostgreSQL through `pg`, or embedded PGlite; the same SQL for both. */
export interface Database extends Queryable {
  readonly engine: 'postgres' | 'pglite';
  /** Human-readable target for messages, without secrets. */
  readonly target: string;
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Subscribe to NOTIFY on a channel; returns an unsubscribe function. onLost is called once if the
   * subscription's connection drops (the caller re-subscribes when the database is back).
   */
  listen(channel: string, onPayload: (payload: string) => void, onLost?: (error: Error) => void): Promise<() => Promise<void>>;
  /**
   * A dedicated connection for session-scoped state (session advisory locks). `lost` settles when
   * the connection drops; release() closes it.
   */
  openSession(): Promise<DbSession>;
  close(): Promise<void>;
}

/** One dedicated connection, e.g. to hold a session advisory lock for leader election. */
export interface DbSession extends Queryable {
  readonly lost: Promise<Error>;
  release(): Promise<void>;
}

/** A database that cannot be reached or opened: a one-line reason for the user. */
export class DatabaseUnavailableError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = 'DatabaseUnavailableError';
  }
}

/**
 * The process that opens a store: it names itself in the embedded database's lock file and in the
 * watcher rows, and checks whether another holder is still alive. Passed in by the CLI (or the
 * library entry), which are the only modules that read the process.
 */
export interface HostProcess {
  pid: number;
  hostname: string;
  /** Whether a process with this pid runs on this host. */
  isAlive(pid: number): boolean;
}
