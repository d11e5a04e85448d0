// POST /v1/events on both engines, through an in-process RuntimeServer over a real database: the
// counts of the answer, deduplication (a batch sent twice, repeats within a batch, concurrent
// overlapping batches), a bad event among good ones, the token, the limits, monthly partitions
// (ahead, and made on demand for a backfill), retention, and a broken statement being a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../core/db.js';
import { listPartitions, monthKey, utcMonth } from '../../adapters/events/partitions.js';
import { dropExpiredPartitions } from '../../adapters/events/retention.js';
import { insertEvents } from '../../adapters/events/store.js';
import { validateEvent } from '../../engine/events/validate.js';
import { registerEventMetrics } from '../../runtime/events/metrics.js';
import { eventRoutes, newEventIngestStats } from '../../runtime/events/routes.js';
import { LiveSnapshot } from '../../runtime/live/live.js';
import { RuntimeServer } from '../../runtime/server/server.js';
import { openDatabase } from '../../adapters/db/index.js';
import { currentProcess } from '../../cli/host.js';
import { createWorkspace, engines, type Workspace } from '../helpers/engines.js';

const DAY = 86_400_000;
const TOKEN = 's3cret-ingest-token';

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

const ev = (id: string, extra: Record<string, unknown> = {}) => ({ id, event: 'checkout_completed', attributes: { user_id: `u-${id}` }, ...extra });
const iso = (ms: number) => new Date(ms).toISOString();
/** Mid-month, `back` UTC months before the month of ms. */
const monthsBack = (ms: number, back: number) => {
  const d = new Date(ms);
  return utcMonth(d.getUTCFullYear(), d.getUTCMonth() - back) + 14 * DAY;
};

interface Servers {
  db: Database;
  live: LiveSnapshot;
  /** No token, no retention. */
  open: string;
  /** LABCTL_INGEST_TOKEN set. */
  guarded: string;
  /** A retention of 400 days. */
  retained: string;
  stats: ReturnType<typeof newEventIngestStats>;
  logs: string[];
  close(): Promise<void>;
}

async function startServers(ws: Workspace): Promise<Servers> {
  const db = await openDatabase({ databaseUrl: ws.url, cwd: ws.dir, applicationName: 'labctl test', host: currentProcess() });
  const live = await LiveSnapshot.open({ db });
  const logs: string[] = [];
  const log = (l: string) => logs.push(l);
  const stats = newEventIngestStats();
  const servers: RuntimeServer[] = [];
  const start = async (routes: ReturnType<typeof eventRoutes>) => {
    const server = new RuntimeServer({ source: live, routes, log });
    servers.push(server);
    return { server, url: `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}` };
  };
  const open = await start(eventRoutes({ db, log, stats }));
  registerEventMetrics(open.server.metrics.registry, stats);
  const guarded = await start(eventRoutes({ db, token: TOKEN, log }));
  const retained = await start(eventRoutes({ db, retentionMs: 400 * DAY, log }));
  return {
    db,
    live,
    open: open.url,
    guarded: guarded.url,
    retained: retained.url,
    stats,
    logs,
    async close() {
      for (const s of servers) await s.shutdown();
      await live.close();
      await db.close();
    },
  };
}

async function storedIds(db: Database, prefix: string): Promise<string[]> {
  const rows = await db.query<{ id: string }>('SELECT id FROM labctl.events WHERE id LIKE $1 ORDER BY id', [`${prefix}%`]);
  return rows.map((r) => r.id);
}

for (const engine of await engines()) {
  describe.skipIf(!engine.available)(`POST /v1/events on ${engine.name}`, () => {
    let ws: Workspace;
    let s: Servers;
    beforeAll(async () => {
      ws = await createWorkspace(engine.name, { state: 'migrated', samples: false });
      s = await startServers(ws);
    }, 60_000);
    afterAll(async () => {
      await s?.close();
      await ws?.dispose();
    });

    it('answers accepted/duplicates/rejected after storing, with the revision header; the same batch again is all duplicates', async () => {
      const batch = { events: Array.from({ length: 50 }, (_, i) => ev(`twice-${String(i).padStart(2, '0')}`, { value: i, properties: { n: i } })) };
      const first = await post(s.open, batch);
      expect(first.status).toBe(200);
      expect(first.json).toEqual({ accepted: 50, duplicates: 0, rejected: [] });
      expect(first.headers.get('x-labctl-revision')).toBe(s.live.current.revision);
      const second = await post(s.open, batch);
      expect(second.json).toEqual({ accepted: 0, duplicates: 50, rejected: [] });
      expect(await storedIds(s.db, 'twice-')).toEqual(batch.events.map((e) => e.id));
      const [row] = await s.db.query<Record<string, unknown>>("SELECT event, attributes, value, properties, ts, received_at FROM labctl.events WHERE id = 'twice-07'");
      expect(row).toMatchObject({ event: 'checkout_completed', attributes: { user_id: 'u-twice-07' }, value: 7, properties: { n: 7 } });
      // No timestamp: the time received.
      expect(Math.abs(new Date(row!.ts as string).getTime() - Date.now())).toBeLessThan(60_000);
      expect((await s.db.query('SELECT count(*)::int AS n FROM labctl.event_ids WHERE id LIKE $1', ['twice-%']))[0]).toEqual({ n: 50 });
    });

    it('stores an id repeated within a batch once (the first occurrence) and counts the repeat as a duplicate', async () => {
      const r = await post(s.open, { events: [ev('rep-a', { value: 1 }), ev('rep-b'), ev('rep-a', { value: 2 }), ev('rep-a', { value: 3 })] });
      expect(r.json).toEqual({ accepted: 2, duplicates: 2, rejected: [] });
      expect(await s.db.query("SELECT id, value FROM labctl.events WHERE id LIKE 'rep-%' ORDER BY id")).toEqual([
        { id: 'rep-a', value: 1 },
        { id: 'rep-b', value: null },
      ]);
    });

    it('rejects a bad event by index and code and stores the good ones around it', async () => {
      const r = await post(s.open, {
        events: [ev('mix-0'), ev('mix-1', { value: 'lots' }), ev('mix-2', { timestamp: 'yesterday' }), { id: 'mix-3', event: 'x' }, ev('mix-4'), 17, ev('mix-6', { timestamp: iso(Date.now() + DAY) })],
      });
      expect(r.status).toBe(200);
      expect(r.json.accepted).toBe(2);
      expect(r.json.duplicates).toBe(0);
      const rejected = r.json.rejected as Array<{ index: number; code: string; message: string }>;
      expect(rejected.map((x) => [x.index, x.code])).toEqual([
        [1, 'invalid_value'],
        [2, 'invalid_timestamp'],
        [3, 'invalid_attributes'],
        [5, 'invalid_event'],
        [6, 'future_timestamp'],
      ]);
      for (const x of rejected) expect(x.message.length).toBeGreaterThan(20);
      expect(await storedIds(s.db, 'mix-')).toEqual(['mix-0', 'mix-4']);
    });

    it('stores ids and JSON that need quoting exactly as sent', async () => {
      const odd = ['q-NULL', 'q-a,b', 'q-{x}', 'q-"quoted"', "q-it's", 'q-back\\slash', 'q-ünï 😀'];
      const attributes = { user_id: 'u"1\\', list: [1, 'two', null, { deep: ['x'] }], NULL: null };
      const r = await post(s.open, { events: odd.map((id) => ({ id, event: 'e "odd"', attributes, properties: { note: 'a,b {c}' } })) });
      expect(r.json).toEqual({ accepted: odd.length, duplicates: 0, rejected: [] });
      const rows = await s.db.query<{ id: string; event: string; attributes: unknown; properties: unknown }>("SELECT id, event, attributes, properties FROM labctl.events WHERE id LIKE 'q-%' ORDER BY id");
      expect(rows.map((x) => x.id).sort()).toEqual([...odd].sort());
      for (const row of rows) expect(row).toMatchObject({ event: 'e "odd"', attributes, properties: { note: 'a,b {c}' } });
    });

    it('an all-invalid or empty batch answers without storing', async () => {
      expect((await post(s.open, { events: [] })).json).toEqual({ accepted: 0, duplicates: 0, rejected: [] });
      const r = await post(s.open, { events: [{ id: '' }] });
      expect(r.json).toMatchObject({ accepted: 0, duplicates: 0, rejected: [{ index: 0, code: 'invalid_id' }] });
    });

    it('concurrent overlapping batches in different orders store every id once', async () => {
      const ids = Array.from({ length: 400 }, (_, i) => `conc-${String(i).padStart(3, '0')}`);
      const shuffled = (seed: number) => [...ids].sort((a, b) => ((a.charCodeAt(7) * seed + a.charCodeAt(6)) % 13) - ((b.charCodeAt(7) * seed + b.charCodeAt(6)) % 13) || (seed % 2 ? a.localeCompare(b) : b.localeCompare(a)));
      const answers = await Promise.all(Array.from({ length: 8 }, (_, k) => post(s.open, { events: shuffled(k + 1).map((id) => ev(id)) })));
      for (const a of answers) expect(a.status).toBe(200);
      const accepted = answers.reduce((n, a) => n + (a.json.accepted as number), 0);
      const duplicates = answers.reduce((n, a) => n + (a.json.duplicates as number), 0);
      expect(accepted).toBe(ids.length);
      expect(duplicates).toBe(7 * ids.length);
      expect(await storedIds(s.db, 'conc-')).toEqual(ids);
    });

    it('requires the bearer token when one is set (401 otherwise) and accepts it', async () => {
      const batch = { events: [ev('tok-1')] };
      const none = await post(s.guarded, batch);
      expect(none.status).toBe(401);
      expect(none.json).toMatchObject({ error: { code: 'unauthorized' } });
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      expect((await post(s.guarded, batch, { authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
      expect((await post(s.guarded, batch, { authorization: `Bearer ${TOKEN.slice(0, -1)}` })).status).toBe(401);
      expect((await post(s.guarded, batch, { authorization: TOKEN })).status).toBe(401);
      expect(await storedIds(s.db, 'tok-')).toEqual([]);
      const ok = await post(s.guarded, batch, { authorization: `Bearer ${TOKEN}` });
      expect(ok.status).toBe(200);
      expect(ok.json).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
      expect(await storedIds(s.db, 'tok-')).toEqual(['tok-1']);
    });

    it('413 over 1,000 events or 1 MiB; 400 for a malformed body', async () => {
      const many = await post(s.open, { events: Array.from({ length: 1001 }, (_, i) => ev(`big-${i}`)) });
      expect(many.status).toBe(413);
      expect(many.json).toMatchObject({ error: { code: 'too_many_events' } });
      const pad = 'x'.repeat(120_000);
      const heavy = await post(s.open, { events: Array.from({ length: 10 }, (_, i) => ev(`heavy-${i}`, { properties: { pad } })) });
      expect(heavy.status).toBe(413);
      expect(heavy.json).toMatchObject({ error: { code: 'body_too_large' } });
      expect(await storedIds(s.db, 'big-')).toEqual([]);
      expect(await storedIds(s.db, 'heavy-')).toEqual([]);
      const justUnder = await post(s.open, { events: Array.from({ length: 1000 }, (_, i) => ev(`full-${String(i).padStart(4, '0')}`)) });
      expect(justUnder.json).toMatchObject({ accepted: 1000, duplicates: 0 });
      for (const body of ['{"events":', '[]', '{"events":{}}', '{}']) {
        const r = await post(s.open, body);
        expect(r.status, body).toBe(400);
      }
    });

    it('creates partitions ahead at migrate time and on demand for backfilled months, each event in its own month', async () => {
      const now = Date.now();
      const names = (await listPartitions(s.db)).map((p) => p.name);
      for (const ahead of [0, 1, 2]) expect(names).toContain(`events_${monthKey(monthsBack(now, -ahead))}`);
      const months = [monthsBack(now, 0), monthsBack(now, 13), monthsBack(now, 26)];
      expect(names).not.toContain(`events_${monthKey(months[1]!)}`);
      expect(names).not.toContain(`events_${monthKey(months[2]!)}`);
      // This month's events in its past part (mid-month may be ahead of now).
      const thisMonth = utcMonth(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth());
      const at = (t: number, m: number): [number, number] => (m === 0 ? [thisMonth + Math.floor((now - thisMonth) / 3), thisMonth + Math.floor((now - thisMonth) / 2)] : [t, t + DAY]);
      const r = await post(s.open, { events: months.flatMap((t, m) => at(t, m).map((x, k) => ev(`month-${m}-${'ab'[k]}`, { timestamp: iso(x) }))) });
      expect(r.json).toEqual({ accepted: 6, duplicates: 0, rejected: [] });
      const rows = await s.db.query<{ part: string; id: string }>(
        `SELECT c.relname::text AS part, e.id FROM labctl.events e JOIN pg_class c ON c.oid = e.tableoid
          JOIN pg_inherits i ON i.inhrelid = c.oid AND i.inhparent = 'labctl.events'::regclass
         WHERE e.id LIKE 'month-%' ORDER BY e.id`,
      );
      expect(rows).toEqual(months.flatMap((t, m) => [`a`, `b`].map((x) => ({ part: `events_${monthKey(t)}`, id: `month-${m}-${x}` }))));
      expect(new Set(rows.map((x) => x.part)).size).toBe(3);
    });

    it('retention drops whole old partitions, keeps their ids as duplicates, and rejects expired events', async () => {
      const now = Date.now();
      const old = monthsBack(now, 20);
      const recent = monthsBack(now, 3);
      const stored = await insertEvents(s.db, [old, old + DAY, recent].map((t, i) => {
        const v = validateEvent(ev(`ret-${i}`, { timestamp: iso(t) }), now);
        if (!v.ok) throw new Error(v.message);
        return v.event;
      }));
      expect(stored).toEqual({ accepted: 3, duplicates: 0 });
      const dropped = await dropExpiredPartitions(s.db, now, 400 * DAY);
      expect(dropped).toContain(`events_${monthKey(old)}`);
      expect(dropped).not.toContain(`events_${monthKey(recent)}`);
      for (const name of dropped) expect(Date.parse(`${name.slice(7, 11)}-${name.slice(11, 13)}-01T00:00:00Z`)).toBeLessThan(now - 400 * DAY);
      const left = (await listPartitions(s.db)).map((p) => p.name);
      expect(left).not.toContain(`events_${monthKey(old)}`);
      expect(left).toContain(`events_${monthKey(recent)}`);
      expect(await storedIds(s.db, 'ret-')).toEqual(['ret-2']);
      // Past retention: the expired event is refused by a runtime with the retention…
      const expired = await post(s.retained, { events: [ev('ret-new-old', { timestamp: iso(old) }), ev('ret-new-recent', { timestamp: iso(recent) })] });
      expect(expired.json).toMatchObject({ accepted: 1, duplicates: 0, rejected: [{ index: 0, code: 'expired_timestamp' }] });
      // …and an id whose partition was dropped is still a duplicate (nothing recreated for it).
      const again = await post(s.open, { events: [ev('ret-0', { timestamp: iso(old) })] });
      expect(again.json).toEqual({ accepted: 0, duplicates: 1, rejected: [] });
      expect(await storedIds(s.db, 'ret-')).toEqual(['ret-2', 'ret-new-recent']);
    });

    it('a partition dropped behind the store\'s back is made again on the next insert', async () => {
      const t = monthsBack(Date.now(), 40);
      expect((await post(s.open, { events: [ev('gone-1', { timestamp: iso(t) })] })).json).toMatchObject({ accepted: 1 });
      await s.db.exec(`DROP TABLE labctl.events_${monthKey(t)}`);
      expect((await post(s.open, { events: [ev('gone-2', { timestamp: iso(t) })] })).json).toMatchObject({ accepted: 1 });
      expect(await storedIds(s.db, 'gone-')).toEqual(['gone-2']);
    });

    it('counts in /metrics', async () => {
      const text = await (await fetch(`${s.open}/metrics`)).text();
      const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
      expect(value('labctl_events_accepted_total')).toBe(s.stats.accepted);
      expect(s.stats.accepted).toBeGreaterThan(1000);
      expect(value('labctl_events_duplicate_total')).toBe(s.stats.duplicates);
      expect(value('labctl_events_rejected_total')).toBe(s.stats.rejected);
      expect(s.stats.rejected).toBeGreaterThan(0);
    });

    it('a statement the database refuses is a 500, logged, not a 503', async () => {
      await s.db.exec('ALTER TABLE labctl.event_ids RENAME TO event_ids_away');
      try {
        const r = await post(s.open, { events: [ev('broken-1')] });
        expect(r.status).toBe(500);
        expect(r.json).toEqual({ error: { code: 'internal', message: 'internal error' }, revision: s.live.current.revision });
        expect(s.logs.join('\n')).toMatch(/error: POST \/v1\/events: .*event_ids/);
      } finally {
        await s.db.exec('ALTER TABLE labctl.event_ids_away RENAME TO event_ids');
      }
      expect((await post(s.open, { events: [ev('broken-1')] })).json).toMatchObject({ accepted: 1 });
    });
  });
}

for (const engine of await engines()) {
  describe.skipIf(!engine.available)(`labctl migrate and the event store on ${engine.name}`, () => {
    let ws: Workspace;
    beforeAll(async () => {
      ws = await createWorkspace(engine.name, { state: 'migrated', samples: false });
    }, 60_000);
    afterAll(async () => ws?.dispose());

    it('applies LABCTL_EVENT_RETENTION at migrate time and refuses a bad value', async () => {
      const now = Date.now();
      const old = monthsBack(now, 30);
      await ws.withDb(async (db) => {
        const v = validateEvent(ev('cli-old', { timestamp: iso(old) }), now);
        if (!v.ok) throw new Error(v.message);
        await insertEvents(db, [v.event]);
      });
      const bad = await ws.cli(['migrate'], { LABCTL_EVENT_RETENTION: '12' });
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('LABCTL_EVENT_RETENTION');
      const kept = await ws.cli(['migrate']);
      expect(kept.code, kept.stderr).toBe(0);
      expect(kept.stdout).toBe(`Schema already up to date (${engine.name}).\n`);
      const r = await ws.cli(['migrate'], { LABCTL_EVENT_RETENTION: '400d' });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`dropped labctl.events_${monthKey(old)}: its events are older than LABCTL_EVENT_RETENTION=400d`);
      const names = await ws.withDb(async (db) => (await listPartitions(db)).map((p) => p.name));
      expect(names).not.toContain(`events_${monthKey(old)}`);
      expect(names).toContain(`events_${monthKey(now)}`);
      expect(await ws.sql("SELECT id FROM labctl.event_ids WHERE id = 'cli-old'")).toEqual([{ id: 'cli-old' }]);
    });
  });
}
