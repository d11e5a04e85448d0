import type { Queryable } from '../../core/db.js';
import type { SessionStore } from '../../core/sessions.js';
import { DatabaseSessionStore } from './database.js';
import { RedisSessionStore } from './redis.js';

export { DatabaseSessionStore } from './database.js';
export { RedisSessionStore } from './redis.js';
export { MemorySessionStore } from './memory.js';

/** The one place the session store is chosen: Redis when a URL is given, else the state database. */
export async function openSessionStore(opts: { redisUrl?: string; db: Queryable }): Promise<SessionStore> {
  return opts.redisUrl ? RedisSessionStore.open({ url: opts.redisUrl }) : new DatabaseSessionStore(opts.db);
}
