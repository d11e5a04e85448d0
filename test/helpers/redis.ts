// The Redis the tests use (TEST_REDIS_URL, default 127.0.0.1:6379): required when CI=true.
import { createClient } from 'redis';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Whether Redis answers PING; under CI=true an unreachable Redis fails the suite instead of skipping it. */
export async function requireRedis(): Promise<boolean> {
  const client = createClient({ url: REDIS_URL, socket: { connectTimeout: 2000, reconnectStrategy: false } });
  client.on('error', () => undefined);
  let ok = false;
  try {
    await client.connect();
    ok = (await client.ping()) === 'PONG';
    await client.close();
  } catch {
    ok = false;
  }
  if (!ok && process.env.CI === 'true') throw new Error(`Redis is required in CI but ${REDIS_URL} is unreachable`);
  return ok;
}

/** A client for looking at what the product stored (TTLs, keys). */
export async function redisClient() {
  const c = createClient({ url: REDIS_URL });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}
