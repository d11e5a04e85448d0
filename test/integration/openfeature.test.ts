// The OpenFeature side, through the real SDK: the in-process LabctlProvider over a snapshot from a
// directory and over a LiveSnapshot (ConfigurationChanged after an apply), then the real OFREP
// provider against a running RuntimeServer (same answers), and the bulk endpoint's ETag/304.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OFREPApi } from '@openfeature/ofrep-core';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { OpenFeature, ProviderEvents, type Client, type EvaluationContext, type EvaluationDetails, type EventDetails, type FlagValue, type JsonValue } from '@openfeature/server-sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apply } from '../../reconciler/apply/index.js';
import { readSpecDir, SpecLoader } from '../../reconciler/load/index.js';
import { migrate, openDatabase, type Database } from '../../adapters/db/index.js';
import { assign } from '../../engine/assignment/assign.js';
import type { Snapshot } from '../../engine/assignment/snapshot.js';
import { LiveSnapshot } from '../../runtime/live/live.js';
import { snapshotFromDir } from '../../reconciler/load/snapshot.js';
import { LabctlProvider } from '../../runtime/openfeature/index.js';
import { RuntimeServer } from '../../runtime/server/server.js';
import { assertFreshBuild } from '../helpers/build.js';
import { staticSource } from '../helpers/runtime.js';
import { SAMPLES, waitFor } from '../helpers/engines.js';
import { currentProcess } from '../../cli/host.js';

/** Flags of every value type next to the samples (whose values are objects). */
const FLAGS = `kind: Experiment
name: dark-mode
status: running
unit: user_id
variants:
  - { key: light, weight: 1, value: false }
  - { key: dark, weight: 1, value: true }
overrides: { qa-user-1: dark }
---
kind: Experiment
name: greeting
status: running
unit: user_id
targeting: { country: { $in: [NL, BE] } }
variants:
  - { key: formal, weight: 1, value: Good day }
  - { key: casual, weight: 1, value: Hi }
---
kind: Experiment
name: results-per-page
status: running
unit: account
variants:
  - { key: ten, weight: 1, value: 10 }
  - { key: twenty, weight: 1, value: 20 }
---
kind: Experiment
name: old-banner
status: paused
unit: user_id
variants:
  - { key: none, weight: 1, value: { banner: none } }
  - { key: big, weight: 1, value: { banner: big } }
`;

function specDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'labctl-openfeature-'));
  cpSync(SAMPLES, join(dir, 'experiments'), { recursive: true });
  writeFileSync(join(dir, 'experiments', 'flags.yaml'), FLAGS);
  return dir;
}

/** A unit (tried in order) that the experiment puts in a variant other than `not`'s. */
function unitWithOtherVariant(snap: Snapshot, experiment: string, not: string, attrs: Record<string, string> = {}): string {
  const theirs = assign(snap, experiment, { ...attrs, user_id: not }).variant;
  for (let i = 0; i < 1000; i++) {
    const a = assign(snap, experiment, { ...attrs, user_id: `other-${i}` });
    if (a.inExperiment && a.variant !== theirs) return `other-${i}`;
  }
  throw new Error('no such unit');
}

type Kind = 'boolean' | 'string' | 'number' | 'object';

function details(client: Client, kind: Kind, flag: string, fallback: FlagValue, ctx: EvaluationContext): Promise<EvaluationDetails<FlagValue>> {
  switch (kind) {
    case 'boolean':
      return client.getBooleanDetails(flag, fallback as boolean, ctx);
    case 'string':
      return client.getStringDetails(flag, fallback as string, ctx);
    case 'number':
      return client.getNumberDetails(flag, fallback as number, ctx);
    default:
      return client.getObjectDetails(flag, fallback as JsonValue, ctx) as Promise<EvaluationDetails<FlagValue>>;
  }
}

afterAll(async () => {
  await OpenFeature.close();
});

describe('LabctlProvider through the OpenFeature server SDK (snapshot from a directory)', () => {
  let dir: string;
  let snap: Snapshot;
  let client: Client;
  beforeAll(async () => {
    dir = specDir();
    snap = await snapshotFromDir(dir);
    await OpenFeature.setProviderAndWait('static', new LabctlProvider({ current: snap }));
    client = OpenFeature.getClient('static');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is registered and ready', () => {
    expect(client.metadata.providerMetadata.name).toBe('labctl');
    expect(client.metadata.domain).toBe('static');
    expect(client.providerStatus).toBe('READY');
  });

  it('splits on targetingKey, or on the explicit unit attribute when given', async () => {
    const byKey = await client.getBooleanDetails('dark-mode', false, { targetingKey: 'u1' });
    const want = assign(snap, 'dark-mode', { user_id: 'u1' });
    expect(want.reason).toBe('split');
    expect(byKey).toMatchObject({ flagKey: 'dark-mode', value: want.value, variant: want.variant, reason: 'SPLIT' });
    expect(byKey.errorCode).toBeUndefined();
    expect(byKey.flagMetadata).toEqual({ experiment: 'dark-mode', inExperiment: true, revision: snap.revision, labctlReason: 'split' });
    expect(await client.getBooleanValue('dark-mode', !want.value, { targetingKey: 'u1' })).toBe(want.value);

    // user_id wins over targetingKey: pick a unit whose variant differs from u1's.
    const other = unitWithOtherVariant(snap, 'dark-mode', 'u1');
    const explicit = await client.getBooleanDetails('dark-mode', false, { targetingKey: 'u1', user_id: other });
    expect(explicit.variant).toBe(assign(snap, 'dark-mode', { user_id: other }).variant);
    expect(explicit.variant).not.toBe(byKey.variant);
    expect(explicit.reason).toBe('SPLIT');

    // String, number and object values.
    const g = assign(snap, 'greeting', { user_id: 'u1', country: 'NL' });
    expect(await client.getStringValue('greeting', 'fallback', { targetingKey: 'u1', country: 'NL' })).toBe(g.value);
    const n = assign(snap, 'results-per-page', { account: 'acme' });
    expect(await client.getNumberDetails('results-per-page', 0, { targetingKey: 'acme' })).toMatchObject({ value: n.value, variant: n.variant, reason: 'SPLIT' });
    const c = assign(snap, 'checkout-button', { user_id: 'u1', country: 'NL' });
    const obj = await client.getObjectDetails('checkout-button', {}, { targetingKey: 'u1', country: 'NL' });
    expect(obj).toMatchObject({ value: c.value, variant: c.variant, flagMetadata: { experiment: 'checkout-button', inExperiment: c.inExperiment, revision: snap.revision } });
  });

  it('maps the reasons: override → TARGETING_MATCH, targeting miss → DEFAULT, not running → DISABLED', async () => {
    const forced = await client.getBooleanDetails('dark-mode', false, { targetingKey: 'qa-user-1' });
    expect(forced).toMatchObject({ value: true, variant: 'dark', reason: 'TARGETING_MATCH' });
    expect(forced.flagMetadata).toEqual({ experiment: 'dark-mode', inExperiment: false, revision: snap.revision, labctlReason: 'override' });

    const miss = await client.getStringDetails('greeting', 'fallback', { targetingKey: 'u1', country: 'US' });
    expect(miss).toMatchObject({ value: 'Good day', variant: 'formal', reason: 'DEFAULT' });
    expect(miss.flagMetadata).toEqual({ experiment: 'greeting', inExperiment: false, revision: snap.revision, labctlReason: 'targeting_miss' });

    const paused = await client.getObjectDetails('old-banner', {}, { targetingKey: 'u1' });
    expect(paused).toMatchObject({ value: { banner: 'none' }, variant: 'none', reason: 'DISABLED' });
    expect(paused.flagMetadata).toMatchObject({ inExperiment: false, labctlReason: 'not_running' });

    const noUnit = await client.getBooleanDetails('dark-mode', true, {});
    expect(noUnit).toMatchObject({ value: false, variant: 'light', reason: 'DEFAULT', flagMetadata: { labctlReason: 'missing_unit' } });
  });

  it('FLAG_NOT_FOUND and TYPE_MISMATCH come back as the default with the error code', async () => {
    const missing = await client.getStringDetails('no-such-experiment', 'fallback', { targetingKey: 'u1' });
    expect(missing).toMatchObject({ value: 'fallback', reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    expect(missing.errorMessage).toContain('no-such-experiment');

    const mismatch = await client.getBooleanDetails('checkout-button', false, { targetingKey: 'u1', country: 'NL' });
    expect(mismatch).toMatchObject({ value: false, reason: 'ERROR', errorCode: 'TYPE_MISMATCH' });
    expect(await client.getStringValue('dark-mode', 'fallback', { targetingKey: 'u1' })).toBe('fallback');
    expect((await client.getNumberDetails('greeting', 3, { targetingKey: 'u1', country: 'NL' })).errorCode).toBe('TYPE_MISMATCH');
  });
});

describe('the published entry points (built package: labctl, labctl/openfeature)', () => {
  it('registers the provider from the package subpath with the SDK, as a user would', async () => {
    assertFreshBuild();
    const { LabctlProvider: Published } = await import('labctl/openfeature');
    const { snapshotFromDir: fromDir, assign: assignPublished } = await import('labctl');
    const dir = specDir();
    try {
      const snap = await fromDir(dir);
      await OpenFeature.setProviderAndWait('published', new Published({ current: snap }));
      const client = OpenFeature.getClient('published');
      const d = await client.getObjectDetails('checkout-button', {}, { targetingKey: 'u1', country: 'NL' });
      const want = assignPublished(snap, 'checkout-button', { user_id: 'u1', country: 'NL' });
      expect(d).toMatchObject({ value: want.value, variant: want.variant, reason: want.reason === 'split' ? 'SPLIT' : 'DEFAULT', flagMetadata: { revision: snap.revision } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('LabctlProvider over a LiveSnapshot (PGlite)', () => {
  let dir: string;
  let db: Database;
  let live: LiveSnapshot;
  async function applyDir(): Promise<string> {
    const state = new SpecLoader().load(await readSpecDir(dir));
    expect(state.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const r = await apply(db, { desired: state.resources }, { prune: false, gitSha: 'test', now: () => new Date(), actor: 'test', lockTimeoutMs: 5000, allowMassArchive: false });
    return r.plan.revision;
  }
  beforeAll(async () => {
    dir = specDir();
    db = await openDatabase({ cwd: dir, applicationName: 'labctl test', host: currentProcess() });
    await migrate(db);
    await applyDir();
    live = await LiveSnapshot.open({ db });
  });
  afterAll(async () => {
    await live?.close();
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('evaluates from the applied state and emits ConfigurationChanged after an apply', async () => {
    await OpenFeature.setProviderAndWait('live', new LabctlProvider(live));
    const client = OpenFeature.getClient('live');
    const first = live.current.revision;
    const ctx = { targetingKey: 'u1', country: 'NL' };
    const before = await client.getStringDetails('greeting', 'fallback', ctx);
    expect(before.flagMetadata.revision).toBe(first);
    expect(before.value).toBe(assign(live.current, 'greeting', { user_id: 'u1', country: 'NL' }).value);

    const events: EventDetails[] = [];
    client.addHandler(ProviderEvents.ConfigurationChanged, (e) => events.push(e!));
    const file = join(dir, 'experiments', 'flags.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('value: Good day', 'value: Good morning').replace('value: Hi }', 'value: Hey }'));
    const second = await applyDir();
    expect(second).not.toBe(first);
    await waitFor(() => events.length > 0, 'a ConfigurationChanged event', 5000);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ providerName: 'labctl', domain: 'live', metadata: { revision: second } });

    const after = await client.getStringDetails('greeting', 'fallback', ctx);
    expect(after.flagMetadata.revision).toBe(second);
    expect(after.variant).toBe(before.variant);
    expect(after.value).toBe(before.variant === 'formal' ? 'Good morning' : 'Hey');
  });
});

describe('OFREP: the real OFREP provider against a RuntimeServer', () => {
  let dir: string;
  let snap: Snapshot;
  let source: ReturnType<typeof staticSource>;
  let server: RuntimeServer;
  let baseUrl: string;
  let inProcess: Client;
  let remote: Client;
  beforeAll(async () => {
    dir = specDir();
    snap = await snapshotFromDir(dir);
    source = staticSource(snap);
    server = new RuntimeServer({ source });
    baseUrl = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}`;
    await OpenFeature.setProviderAndWait('in-process', new LabctlProvider({ current: snap }));
    await OpenFeature.setProviderAndWait('ofrep', new OFREPProvider({ baseUrl }));
    inProcess = OpenFeature.getClient('in-process');
    remote = OpenFeature.getClient('ofrep');
  });
  afterAll(async () => {
    await server?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    source.current = snap;
  });

  const cases: Array<[Kind, string, FlagValue, EvaluationContext]> = [
    ['boolean', 'dark-mode', false, { targetingKey: 'u1' }],
    ['boolean', 'dark-mode', false, { targetingKey: 'u2' }],
    ['boolean', 'dark-mode', false, { targetingKey: 'u1', user_id: 'u9' }],
    ['boolean', 'dark-mode', false, { targetingKey: 'qa-user-1' }],
    ['boolean', 'dark-mode', true, {}],
    ['string', 'greeting', 'fallback', { targetingKey: 'u1', country: 'NL' }],
    ['string', 'greeting', 'fallback', { targetingKey: 'u3', country: 'BE' }],
    ['string', 'greeting', 'fallback', { targetingKey: 'u1', country: 'US' }],
    ['number', 'results-per-page', 0, { targetingKey: 'acme' }],
    ['object', 'checkout-button', {}, { targetingKey: 'u1', country: 'NL' }],
    ['object', 'checkout-copy', {}, { targetingKey: 'u7' }],
    ['object', 'old-banner', {}, { targetingKey: 'u1' }],
    ['string', 'no-such-experiment', 'fallback', { targetingKey: 'u1' }],
    ['boolean', 'checkout-button', false, { targetingKey: 'u1', country: 'NL' }],
    ['string', 'dark-mode', 'fallback', { targetingKey: 'u1' }],
  ];

  it('evaluates the same flags to the same details as the in-process provider', async () => {
    const codes = new Set<string | undefined>();
    const reasons = new Set<string | undefined>();
    for (const [kind, flag, fallback, ctx] of cases) {
      const local = await details(inProcess, kind, flag, fallback, ctx);
      const over = await details(remote, kind, flag, fallback, ctx);
      const pick = (d: EvaluationDetails<FlagValue>) => ({ flagKey: d.flagKey, value: d.value, variant: d.variant, reason: d.reason, errorCode: d.errorCode, flagMetadata: d.flagMetadata });
      expect({ flag, ctx, ...pick(over) }).toEqual({ flag, ctx, ...pick(local) });
      codes.add(local.errorCode);
      reasons.add(local.reason);
    }
    expect([...codes]).toEqual(expect.arrayContaining([undefined, 'FLAG_NOT_FOUND', 'TYPE_MISMATCH']));
    expect([...reasons]).toEqual(expect.arrayContaining(['SPLIT', 'TARGETING_MATCH', 'DEFAULT', 'DISABLED', 'ERROR']));
  });

  it('bulk evaluation: every flag, an ETag per revision and context, 304 on If-None-Match', async () => {
    const api = new OFREPApi(baseUrl);
    const context = { targetingKey: 'u1', country: 'NL' };
    const first = await api.postBulkEvaluateFlags({ context });
    expect(first.httpStatus).toBe(200);
    const etag = first.httpResponse!.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    expect(first.httpResponse!.headers.get('x-labctl-revision')).toBe(snap.revision);
    const flags = (first.value as unknown as { flags: Array<Record<string, unknown>> }).flags;
    expect(flags.map((f) => f.key).sort()).toEqual([...snap.experiments.keys()].sort());
    for (const f of flags) {
      // targetingKey stands in for whatever attribute the experiment's unit names.
      const exp = snap.experiments.get(f.key as string)!;
      const a = assign(snap, exp.name, { country: 'NL', [exp.unit]: 'u1' });
      expect(f).toMatchObject({ key: f.key, value: a.value, variant: a.variant, metadata: { experiment: f.key, inExperiment: a.inExperiment, revision: snap.revision, labctlReason: a.reason } });
    }

    const again = await api.postBulkEvaluateFlags({ context }, { headers: { 'If-None-Match': etag! } });
    expect(again.httpStatus).toBe(304);
    expect(again.value).toBeUndefined();

    // Another context, or a stale ETag, gets the full answer.
    const otherContext = await api.postBulkEvaluateFlags({ context: { targetingKey: 'u2', country: 'NL' } }, { headers: { 'If-None-Match': etag! } });
    expect(otherContext.httpStatus).toBe(200);
    expect(otherContext.httpResponse!.headers.get('etag')).not.toBe(etag);
    expect((await api.postBulkEvaluateFlags({ context }, { headers: { 'If-None-Match': '"stale"' } })).httpStatus).toBe(200);

    // A new revision changes the ETag.
    const file = join(dir, 'experiments', 'flags.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('value: Good day', 'value: Good evening'));
    source.current = await snapshotFromDir(dir);
    expect(source.current.revision).not.toBe(snap.revision);
    const changed = await api.postBulkEvaluateFlags({ context }, { headers: { 'If-None-Match': etag! } });
    expect(changed.httpStatus).toBe(200);
    expect(changed.httpResponse!.headers.get('etag')).not.toBe(etag);
    expect((changed.value as { metadata: { revision: string } }).metadata.revision).toBe(source.current.revision);
  });

  it('answers OFREP errors in the OFREP shape', async () => {
    const post = (path: string, body: string) => fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const notFound = await post('/ofrep/v1/evaluate/flags/no-such-experiment', '{"context":{"targetingKey":"u1"}}');
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toMatchObject({ key: 'no-such-experiment', errorCode: 'FLAG_NOT_FOUND' });
    const parse = await post('/ofrep/v1/evaluate/flags/dark-mode', '{"context":');
    expect(parse.status).toBe(400);
    expect(await parse.json()).toMatchObject({ key: 'dark-mode', errorCode: 'PARSE_ERROR' });
    const badContext = await post('/ofrep/v1/evaluate/flags/dark-mode', '{"context":[1]}');
    expect(badContext.status).toBe(400);
    expect(await badContext.json()).toMatchObject({ key: 'dark-mode', errorCode: 'INVALID_CONTEXT' });
    const bulkBad = await post('/ofrep/v1/evaluate/flags', '"nope"');
    expect(bulkBad.status).toBe(400);
    expect(await bulkBad.json()).toMatchObject({ errorCode: 'INVALID_CONTEXT' });
    // No body at all is an empty context.
    const empty = await fetch(`${baseUrl}/ofrep/v1/evaluate/flags/dark-mode`, { method: 'POST' });
    expect(empty.status).toBe(200);
    expect(await empty.json()).toMatchObject({ key: 'dark-mode', reason: 'DEFAULT', metadata: { labctlReason: 'missing_unit' } });
  });
});
