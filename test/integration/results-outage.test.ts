// GET /v1/experiments/{name}/results while PostgreSQL is unreachable: a spawned `labctl serve`
// reaches the database through a TCP proxy that the test cuts. A result computed before the cut
// keeps being served, marked stale; one never computed (or asked for fresh) is a 503 with
// Retry-After, not a 500. Needs the built CLI (`npx tsc -p .`).
import { afterEach, describe, expect, it } from 'vitest';
import { assertFreshBuild } from '../helpers/build.js';
import { createWorkspace, waitFor, type Workspace } from '../helpers/engines.js';
import { requirePostgres } from '../helpers/postgres.js';
import { spawnServe, type ServeProcess } from '../helpers/serve.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const PG = await requirePostgres();
if (PG) assertFreshBuild();

const SPECS = `kind: Metric
name: checkout
type: conversion
event: checkout_completed
---
kind: Experiment
name: seen
status: running
unit: user_id
variants:
  - { key: control, weight: 1, value: { color: blue } }
  - { key: green, weight: 1, value: { color: green } }
metrics: { primary: [checkout] }
---
kind: Experiment
name: unseen
status: running
unit: user_id
variants:
  - { key: control, weight: 1, value: { size: 1 } }
  - { key: big, weight: 1, value: { size: 2 } }
metrics: { primary: [checkout] }
`;

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

async function get(url: string): Promise<Answer> {
  const res = await fetch(url);
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

describe('GET /v1/experiments/{name}/results while PostgreSQL is unreachable', () => {
  let ws: Workspace | undefined;
  let proxy: TcpProxy | undefined;
  let serve: ServeProcess | undefined;
  afterEach(async () => {
    await serve?.stop();
    await proxy?.stop();
    await ws?.dispose();
    serve = proxy = ws = undefined;
  });

  it.skipIf(!PG)('serves the last result marked stale, answers 503 with Retry-After for the rest, and recovers', async () => {
    ws = await createWorkspace('postgres', { samples: false });
    ws.write('experiments/specs.yaml', SPECS);
    const applied = await ws.cli(['apply']);
    expect(applied.code, applied.stderr).toBe(0);
    const front = await TcpProxy.inFrontOf(ws.url!);
    proxy = front.proxy;
    // Age 0: every request recomputes, so the cut is met by the computation itself.
    serve = await spawnServe({ cwd: ws.dir, env: { DATABASE_URL: front.url, LABCTL_RESULTS_MAX_AGE: '0' } });
    const seen = `${serve.url}/v1/experiments/seen/results`;

    const before = await get(seen);
    expect(before.status).toBe(200);
    expect(before.headers.get('x-labctl-stale')).toBeNull();
    expect(before.json).toMatchObject({ experiment: 'seen' });

    await proxy.stop();
    const stale = await get(seen);
    expect(stale.status).toBe(200);
    expect(stale.headers.get('x-labctl-stale')).toBe('1');
    expect(Number(stale.headers.get('age'))).toBeGreaterThanOrEqual(0);
    expect(stale.json).toEqual(before.json);

    for (const url of [`${seen}?fresh=1`, `${serve.url}/v1/experiments/unseen/results`]) {
      const down = await get(url);
      expect(down.status, url).toBe(503);
      expect(down.json).toMatchObject({ error: { code: 'database_unavailable' } });
      expect(Number(down.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }

    await proxy.start();
    const back = await waitFor(async () => {
      const a = await get(`${serve!.url}/v1/experiments/unseen/results`);
      return a.status === 200 ? a : undefined;
    }, 'results to be computed again');
    expect(back.json).toMatchObject({ experiment: 'unseen' });
    expect((await get(seen)).headers.get('x-labctl-stale')).toBeNull();
    expect(serve.stderr()).not.toContain('error: GET /v1/experiments');
  }, 60_000);
});
