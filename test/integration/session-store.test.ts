// Flow sessions in real Redis and in the real database table: compare-and-set on every write, so
// turns racing on one session never lose a write; the time to live is refreshed by each write.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase, type Database } from '../../adapters/db/index.js';
import { DatabaseSessionStore, RedisSessionStore } from '../../adapters/sessions/index.js';
import type { SessionStore } from '../../core/sessions.js';
import { currentProcess } from '../../cli/host.js';
import { createTestDatabase, requirePostgres } from '../helpers/postgres.js';
import { REDIS_URL, redisClient, requireRedis } from '../helpers/redis.js';

const PG = await requirePostgres();
const REDIS = await requireRedis();

/** Read, change, write back; on a conflict read again: what the flow runtime does per turn. */
async function increment(store: SessionStore, id: string): Promise<number> {
  for (let tries = 1; ; tries++) {
    const s = (await store.get(id))!;
    const w = await store.update(id, s.version, { ...s.state, count: (s.state.count as number) + 1 }, 60_000);
    if (w.ok) return tries;
  }
}

function storeContract(name: string, available: boolean, open: () => Promise<{ store: SessionStore; ttlOf: (id: string) => Promise<number>; cleanup?: () => Promise<unknown> }>) {
  describe.skipIf(!available)(`${name} session store`, () => {
    let store: SessionStore;
    let ttlOf: (id: string) => Promise<number>;
    let cleanup: (() => Promise<unknown>) | undefined;
    beforeAll(async () => {
      ({ store, ttlOf, cleanup } = await open());
    });
    afterAll(async () => {
      await store?.close();
      await cleanup?.();
    });

    it('creates once, reads back, and compares the version on every write', async () => {
      const id = randomUUID();
      expect(await store.create(id, 'refund-request', { count: 0 }, 60_000)).toBe(true);
      expect(await store.create(id, 'refund-request', { count: 99 }, 60_000)).toBe(false);
      expect(await store.get(id)).toEqual({ id, flow: 'refund-request', version: 1, state: { count: 0 } });
      expect(await store.update(id, 1, { count: 1 }, 60_000)).toEqual({ ok: true, version: 2 });
      expect(await store.update(id, 1, { count: 5 }, 60_000)).toEqual({ ok: false, reason: 'conflict' });
      expect((await store.get(id))!.state).toEqual({ count: 1 });
      expect(await store.update(randomUUID(), 1, { count: 1 }, 60_000)).toEqual({ ok: false, reason: 'missing' });
    });

    it('of twenty writers holding the same version, exactly one wins', async () => {
      const id = randomUUID();
      await store.create(id, 'f', { count: 0 }, 60_000);
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.update(id, 1, { count: 0, writer: i }, 60_000)));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      const winner = results.findIndex((r) => r.ok);
      expect((await store.get(id))!.state).toEqual({ count: 0, writer: winner });
    });

    it('fifty concurrent read-modify-write turns lose nothing', async () => {
      const id = randomUUID();
      await store.create(id, 'f', { count: 0 }, 60_000);
      const tries = await Promise.all(Array.from({ length: 50 }, () => increment(store, id)));
      const s = (await store.get(id))!;
      expect(s.state.count).toBe(50);
      expect(s.version).toBe(51);
      // They did race: some turns had to read again.
      expect(Math.max(...tries)).toBeGreaterThan(1);
    });

    it('refreshes the time to live on every write', async () => {
      const id = randomUUID();
      await store.create(id, 'f', { count: 0 }, 10_000);
      const first = await ttlOf(id);
      expect(first).toBeGreaterThan(8_000);
      expect(first).toBeLessThanOrEqual(10_000);
      await store.update(id, 1, { count: 1 }, 600_000);
      expect(await ttlOf(id)).toBeGreaterThan(590_000);
    });
  });
}

storeContract('Redis', REDIS, async () => {
  const store = await RedisSessionStore.open({ url: REDIS_URL, prefix: `labctl-test:${randomUUID()}:` });
  const inspect = await redisClient();
  const prefix = (store as unknown as { prefix: string }).prefix;
  return {
    store,
    cleanup: () => inspect.close(),
    ttlOf: async (id) => Number(await inspect.pTTL(prefix + id)),
  };
});

let db: Database | undefined;
let drop: (() => Promise<void>) | undefined;
storeContract('database', PG, async () => {
  const t = await createTestDatabase();
  drop = t.drop;
  db = await openDatabase({ databaseUrl: t.url, cwd: process.cwd(), host: currentProcess() });
  await migrate(db);
  const store = new DatabaseSessionStore(db);
  return {
    store,
    ttlOf: async (id) => {
      const [r] = await db!.query<{ ms: number }>(`SELECT extract(epoch FROM expires_at - now()) * 1000 AS ms FROM labctl.flow_sessions WHERE id = $1`, [id]);
      return Number(r!.ms);
    },
  };
});
afterAll(async () => {
  await db?.close();
  await drop?.();
});

describe('expiry', () => {
  it.skipIf(!REDIS)('a Redis session is gone after its time to live', async () => {
    const store = await RedisSessionStore.open({ url: REDIS_URL, prefix: `labctl-test:${randomUUID()}:` });
    const id = randomUUID();
    await store.create(id, 'f', { count: 0 }, 150);
    expect(await store.get(id)).toBeDefined();
    await new Promise((r) => setTimeout(r, 400));
    expect(await store.get(id)).toBeUndefined();
    expect(await store.update(id, 1, { count: 1 }, 1000)).toEqual({ ok: false, reason: 'missing' });
    await store.close();
  });

  it.skipIf(!PG)('a database session past its expiry is neither read nor written', async () => {
    const t = await createTestDatabase();
    const d = await openDatabase({ databaseUrl: t.url, cwd: process.cwd(), host: currentProcess() });
    try {
      await migrate(d);
      let now = Date.now();
      const store = new DatabaseSessionStore(d, () => now);
      const id = randomUUID();
      await store.create(id, 'f', { count: 0 }, 1000);
      now += 999;
      expect(await store.get(id)).toBeDefined();
      now += 2;
      expect(await store.get(id)).toBeUndefined();
      expect(await store.update(id, 1, { count: 1 }, 1000)).toEqual({ ok: false, reason: 'missing' });
    } finally {
      await d.close();
      await t.drop();
    }
  });
});
