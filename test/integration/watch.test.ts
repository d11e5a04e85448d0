// labctl watch --dir on PostgreSQL with a separate labctl serve, and labctl up on PGlite: an edit is
// served, an invalid edit keeps the last good state (Stalled, with the error) until a fix, and editor
// temporary files never trigger a reconcile. Needs the built CLI (`npx tsc -p .`).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { createWorkspace, waitFor, type Workspace } from '../helpers/engines.js';
import { getJson, spawnLabctl, type LabctlProcess } from '../helpers/labctl-process.js';
import { requirePostgres } from '../helpers/postgres.js';
import { spawnServe, type ServeProcess } from '../helpers/serve.js';

const PG = await requirePostgres();

/** From saving a file to the runtime answering with the new revision (watch: separate processes over NOTIFY). */
const WATCH_BOUND_MS = 2000;
/** The same for `labctl up` (one process): the "within ~1 s". */
const UP_BOUND_MS = 1000;

interface Served {
  revision: string;
  label: string;
}

/** checkout-copy for u1 (outside its layer slice, so always the control, whose label the tests edit). */
async function served(baseUrl: string): Promise<Served> {
  const { status, body, headers } = await getJson<{ revision: string; variant: string; reason: string; value: { label: string } }>(`${baseUrl}/v1/assign/checkout-copy?user_id=u1&log=false`);
  expect(status).toBe(200);
  expect(body).toMatchObject({ variant: 'control', reason: 'layer_miss' });
  expect(headers.get('x-labctl-revision')).toBe(body.revision);
  return { revision: body.revision, label: body.value.label };
}

/** Poll the runtime until it serves another revision than `from`; returns it and the time since `since`. */
async function nextServed(baseUrl: string, from: string, since: number, timeoutMs = 10_000): Promise<Served & { afterMs: number }> {
  const s = await waitFor(
    async () => {
      const now = await served(baseUrl);
      return now.revision !== from ? now : null;
    },
    `the runtime to serve a revision other than ${from}`,
    timeoutMs,
  );
  return { ...s, afterMs: performance.now() - since };
}

const LABEL = /(name: checkout-copy[\s\S]*?value: \{ label: )[^}]*?( \})/;

describe.skipIf(!PG)('labctl watch --dir with labctl serve on one PostgreSQL database', () => {
  let ws: Workspace | undefined;
  const procs: Array<LabctlProcess | ServeProcess> = [];
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
    await ws?.dispose();
    ws = undefined;
  });

  const setLabel = (w: Workspace, label: string, extra: (t: string) => string = (t) => t) => {
    const text = readSpec(w);
    const next = extra(text.replace(LABEL, `$1${label}$2`));
    expect(next).not.toBe(text);
    w.write('experiments/checkout.yaml', next);
  };

  async function status(w: Workspace) {
    const r = await w.cli(['status', '--json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as {
      revision: string | null;
      watchers: Array<{ leader: boolean; state: string; lastAppliedRevision: string | null; lastAttemptedRevision: string | null; lastError: string | null; lastErrorAt: string | null; pid: number; source: string }>;
    };
  }

  it('an edit is served; an invalid edit keeps the last good revision (Stalled, lastError) until a fixing edit', async () => {
    ws = await createWorkspace('postgres');
    const w = ws;
    const watch = spawnLabctl(['watch', '--dir', 'experiments'], { cwd: w.dir, env: w.env });
    procs.push(watch);
    const first = (await watch.waitForStderr(/applied revision ([0-9a-f]{12})/))[1]!;
    await watch.waitForStderr(/following .*experiments \(postgres\); Ctrl-C to stop/);
    const serve = await spawnServe({ cwd: w.dir, env: w.env });
    procs.push(serve);
    expect(await served(serve.url)).toEqual({ revision: first, label: 'Continue' });

    // 1. A valid edit: the database and then the runtime move to the new revision.
    let mark = watch.stderr().length;
    setLabel(w, 'Continue now');
    const second = await nextServed(serve.url, first, performance.now());
    console.info(`watch --dir: edit → served by labctl serve after ${second.afterMs.toFixed(0)} ms`);
    expect(second.label).toBe('Continue now');
    expect((await watch.waitForStderr(/applied revision ([0-9a-f]{12}): 0 added, 1 changed, 0 archived/, { from: mark }))[1]).toBe(second.revision);
    expect(second.afterMs).toBeLessThan(WATCH_BOUND_MS);
    expect((await status(w)).revision).toBe(second.revision);

    // 2. An invalid edit (that would also change the label): nothing is applied or served.
    mark = watch.stderr().length;
    setLabel(w, 'Continue later', (t) => t.replace(/(name: checkout-copy[\s\S]*?)status: running/, '$1status: sprinting'));
    await watch.waitForStderr(/not applied: specs are invalid \(1 error\); keeping the last applied state/, { from: mark });
    expect(watch.stderr().slice(mark)).toMatch(/error\[[a-z-]+\]: .*\n\s+--> checkout\.yaml:\d+:\d+/);
    const stalled = await waitFor(async () => {
      const s = await status(w);
      return s.watchers[0]?.state === 'Stalled' ? s : null;
    }, 'labctl status to show the watcher Stalled');
    expect(stalled.revision).toBe(second.revision);
    expect(stalled.watchers).toHaveLength(1);
    expect(stalled.watchers[0]).toMatchObject({ leader: true, state: 'Stalled', lastAppliedRevision: second.revision, pid: watch.pid });
    expect(stalled.watchers[0]!.lastError).toBe('specs are invalid (1 error); keeping the last applied state');
    expect(Date.parse(stalled.watchers[0]!.lastErrorAt!)).not.toBeNaN();
    const text = await w.cli(['status']);
    expect(text.stdout).toMatch(/Watcher: +leader +Stalled dir:.*experiments .*— last error at .*: specs are invalid/);
    const api = await getJson<Record<string, unknown>>(`${serve.url}/v1/status`);
    expect(api.status).toBe(200);
    expect(api.body).toMatchObject({ state: 'Stalled', lastAppliedRevision: second.revision, lastError: 'specs are invalid (1 error); keeping the last applied state', served: { revision: second.revision } });
    // The runtime still answers the last good revision.
    expect(await served(serve.url)).toEqual({ revision: second.revision, label: 'Continue now' });

    // 3. The fixing edit: applied, served, Ready again.
    mark = watch.stderr().length;
    w.write('experiments/checkout.yaml', readSpec(w).replace('status: sprinting', 'status: running'));
    const third = await nextServed(serve.url, second.revision, performance.now());
    expect(third.label).toBe('Continue later');
    await watch.waitForStderr(new RegExp(`applied revision ${third.revision}`), { from: mark });
    const ready = await waitFor(async () => {
      const s = await status(w);
      return s.watchers[0]?.state === 'Ready' ? s : null;
    }, 'labctl status to show the watcher Ready');
    expect(ready.revision).toBe(third.revision);
    expect(ready.watchers[0]).toMatchObject({ leader: true, state: 'Ready', lastAppliedRevision: third.revision, lastAttemptedRevision: third.revision, lastError: null });
    const api2 = await getJson<Record<string, unknown>>(`${serve.url}/v1/status`);
    expect(api2.body).toMatchObject({ state: 'Ready', lastAppliedRevision: third.revision, lastError: null, served: { revision: third.revision } });

    const stopped = await watch.stop('SIGTERM');
    expect(stopped).toEqual({ code: 0, signal: null });
    // A stopped watcher removes its row.
    expect((await status(w)).watchers).toEqual([]);
  });

  it('editor temporary files and ignored folders do not trigger a reconcile; a real save does', async () => {
    ws = await createWorkspace('postgres');
    const w = ws;
    const watch = spawnLabctl(['watch', '--dir', 'experiments'], { cwd: w.dir, env: w.env });
    procs.push(watch);
    await watch.waitForStderr(/Ctrl-C to stop/);
    // Every reconcile that reaches apply records a run (a no-op one too): count them.
    const runs = async () => Number((await w.sql<{ n: string }>('SELECT count(*) AS n FROM labctl.runs'))[0]!.n);
    const before = await runs();
    expect(before).toBe(1);

    const mark = watch.stderr().length;
    const junk = 'kind: [this is not: valid\n';
    const temps = ['.checkout.yaml.swp', '.checkout.yaml.swx', 'checkout.yaml~', '#checkout.yaml#', '.#checkout.yaml', '4913', 'checkout.yaml.tmp', 'checkout.yaml.bak', 'checkout.yaml.orig', '.goutputstream-ABC123', 'notes.txt', 'checkout.json'];
    for (const t of temps) w.write(`experiments/${t}`, junk);
    for (const t of ['.idea/workspace.yaml', 'node_modules/pkg/x.yaml', '.git/x.yaml', 'dist/x.yaml']) w.write(`experiments/${t}`, junk);
    w.remove('experiments/checkout.yaml~');
    // A negative needs a window: 1 s is many times the debounce (100 ms) plus a reconcile; the real
    // save below measures how long a reconcile that does happen takes, to show the window suffices.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await runs()).toBe(before);
    expect(watch.stderr().slice(mark)).toBe('');

    const savedAt = performance.now();
    w.write('experiments/checkout.yaml', readSpec(w));
    await waitFor(async () => (await runs()) === before + 1, 'a run after saving checkout.yaml');
    const latency = performance.now() - savedAt;
    console.info(`watch --dir: save → reconcile recorded after ${latency.toFixed(0)} ms`);
    expect(latency).toBeLessThan(1000);
    const last = await w.sql<{ outcome: string }>('SELECT outcome FROM labctl.runs ORDER BY id DESC LIMIT 1');
    expect(last[0]!.outcome).toBe('no-op');
    expect(await runs()).toBe(before + 1);
  });
});

describe('labctl up in a temporary directory (PGlite)', () => {
  let ws: Workspace | undefined;
  let up: LabctlProcess | undefined;
  afterEach(async () => {
    await up?.stop('SIGKILL');
    await ws?.dispose();
    ws = up = undefined;
  });

  it('an edit is served within ~1 s; SIGTERM exits 0', async () => {
    ws = await createWorkspace('pglite');
    const w = ws;
    up = spawnLabctl(['up', '--dir', 'experiments', '--port', '0'], { cwd: w.dir, env: { DATABASE_URL: undefined } });
    const url = (await up.waitForStderr(/labctl is up[\s\S]*runtime: +(http:\/\/127\.0\.0\.1:\d+)/, { timeoutMs: 45_000 }))[1]!;
    const first = await served(url);
    expect(first.label).toBe('Continue');

    for (const label of ['Continue now', 'Continue today']) {
      const mark = up.stderr().length;
      const text = readSpec(w);
      w.write('experiments/checkout.yaml', text.replace(LABEL, `$1${label}$2`));
      const before = (await served(url)).revision;
      const next = await nextServed(url, before, performance.now());
      console.info(`labctl up (pglite): edit → served after ${next.afterMs.toFixed(0)} ms`);
      expect(next.label).toBe(label);
      await up.waitForStderr(new RegExp(`applied revision ${next.revision}`), { from: mark });
      expect(next.afterMs).toBeLessThan(UP_BOUND_MS);
    }
    expect(await up.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(up.stderr()).toContain('labctl up: SIGTERM, stopping');
  });
});

/** The current text of experiments/checkout.yaml. */
function readSpec(w: Workspace): string {
  return readFileSync(join(w.dir, 'experiments/checkout.yaml'), 'utf8');
}
