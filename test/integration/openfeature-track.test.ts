// OpenFeature's tracking API through the real server SDK: client.track(name, context, details) on
// the LabctlProvider reaches the database through a LabctlClient sink and the runtime of `labctl
// serve`, with the unit attribute taken from the context the way an assignment takes it, and the
// event links to the unit the provider assigned. Both engines.
import { PassThrough } from 'node:stream';
import { OpenFeature } from '@openfeature/server-sdk';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../adapters/db/index.js';
import { startRuntime } from '../../cli/commands/serve.js';
import { currentProcess } from '../../cli/host.js';
import { assign } from '../../engine/assignment/assign.js';
import { LabctlClient } from '../../runtime/client/index.js';
import { LabctlProvider, trackingAttributes, type ProviderEvent } from '../../runtime/openfeature/index.js';
import { createWorkspace, engines } from '../helpers/engines.js';

const ENGINES = await engines();

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});
afterAll(async () => {
  await OpenFeature.close();
});

interface Row {
  id: string;
  event: string;
  attributes: Record<string, unknown>;
  value: number | null;
  properties: Record<string, unknown> | null;
  ts: Date;
}

describe.each(ENGINES)('OpenFeature track() through LabctlProvider ($name)', ({ name, available }) => {
  it.skipIf(!available)("client.track('checkout_completed', ctx, {value: 42}) is stored with the context's unit", async () => {
    const ws = await createWorkspace(name, { state: 'applied' });
    open.push(() => ws.dispose());
    const db: Database = await openDatabase({ databaseUrl: ws.url, cwd: ws.dir, applicationName: 'labctl test', host: currentProcess() });
    open.push(() => db.close());
    const runtime = await startRuntime({ stdout: new PassThrough(), stderr: new PassThrough(), env: {}, cwd: ws.dir }, db, 0, '127.0.0.1');
    open.push(() => runtime.stop());
    // The provider over the runtime's own live snapshot, as a service embedding labctl would run it.
    const live = runtime.live;

    const events = new LabctlClient({ baseUrl: `http://127.0.0.1:${runtime.port}` });
    open.push(() => events.close());
    const domain = `track-${name}`;
    await OpenFeature.setProviderAndWait(domain, new LabctlProvider(live, { events }));
    const of = OpenFeature.getClient(domain);

    // The assignment and the event from the same context: targetingKey stands in for user_id.
    const ctx = { targetingKey: 'u-42', country: 'NL', signedUpAt: new Date('2026-01-02T03:04:05Z') };
    const flag = await of.getObjectDetails('checkout-button', {}, ctx);
    const want = assign(live.current, 'checkout-button', { ...ctx, user_id: 'u-42' });
    expect(flag.variant).toBe(want.variant ?? undefined);

    of.track('checkout_completed', ctx, { value: 42, currency: 'EUR', items: [{ sku: 'A1', at: new Date('2026-11-30T10:00:00Z') }] });
    of.track('page_view', { user_id: 'u-7', targetingKey: 'ignored-when-user_id-is-set' }, {});
    await events.flush();

    const rows = await db.query<Row>('SELECT id, event, attributes, value, properties, ts FROM labctl.events ORDER BY event');
    expect(rows).toHaveLength(2);
    const [checkout, view] = rows;
    expect(checkout).toMatchObject({
      event: 'checkout_completed',
      attributes: { targetingKey: 'u-42', user_id: 'u-42', country: 'NL', signedUpAt: '2026-01-02T03:04:05.000Z' },
      value: 42,
      properties: { currency: 'EUR', items: [{ sku: 'A1', at: '2026-11-30T10:00:00.000Z' }] },
    });
    expect(checkout!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.now() - new Date(checkout!.ts).getTime()).toBeLessThan(30_000);
    // An explicit unit attribute wins over targetingKey, as in an assignment; no details, no properties.
    expect(view).toMatchObject({ event: 'page_view', attributes: { user_id: 'u-7', targetingKey: 'ignored-when-user_id-is-set' }, value: null, properties: null });

    // What a metric joins on: attributes->>unit, the unit the assignment was made for.
    const linked = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM labctl.events WHERE attributes->>'user_id' = 'u-42'");
    expect(linked[0]!.n).toBe(1);
  });
});

describe('LabctlProvider tracking without a database', () => {
  it('maps targetingKey to every unit attribute the snapshot names, and hands the event to any sink', async () => {
    const ws = await createWorkspace('pglite', { state: 'fresh' });
    open.push(() => ws.dispose());
    const { snapshotFromDir } = await import('../../reconciler/load/snapshot.js');
    const snap = await snapshotFromDir(ws.specs);
    expect(trackingAttributes({ targetingKey: 'k1', plan: 'pro' }, snap)).toEqual({ targetingKey: 'k1', plan: 'pro', user_id: 'k1' });
    expect(trackingAttributes({ plan: 'pro' }, snap)).toEqual({ plan: 'pro' });

    const got: ProviderEvent[] = [];
    const provider = new LabctlProvider({ current: snap }, { events: { track: (e) => got.push(e) } });
    provider.track('signup', { targetingKey: 'k2' }, { value: 1, source: 'ad' });
    provider.track('signup', { targetingKey: 'k3' }, {});
    expect(got).toEqual([
      { event: 'signup', attributes: { targetingKey: 'k2', user_id: 'k2' }, value: 1, properties: { source: 'ad' } },
      { event: 'signup', attributes: { targetingKey: 'k3', user_id: 'k3' } },
    ]);

    // Without a sink track() throws (the SDK catches and logs it); the (source, now) form still works.
    expect(() => new LabctlProvider({ current: snap }).track('signup', {}, {})).toThrow(/no events sink/);
    const fixed = new LabctlProvider({ current: snap }, () => Date.parse('2026-12-01T00:00:00Z'));
    const r = await fixed.resolveObjectEvaluation('checkout-button', {}, { targetingKey: 'u1' });
    expect(r.variant).toBe(assign(snap, 'checkout-button', { user_id: 'u1' }, Date.parse('2026-12-01T00:00:00Z')).variant);
  });
});
