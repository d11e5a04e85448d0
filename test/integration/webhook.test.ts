// POST /v1/reconcile: the webhook a git host calls on push. Off (404) without LABCTL_ADMIN_TOKEN,
// 401 without or with a wrong bearer token (and neither token is ever logged), 202 with the right one,
// after which the leader watcher fetches and applies at once, although it polls only every 60 s.
// GET /v1/status reports the leader's state. Needs PostgreSQL and the built CLI (`npx tsc -p .`).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import type { WatcherRow } from '../../adapters/state/watchers.js';
import { cli } from '../helpers/cli.js';
import { waitFor } from '../helpers/engines.js';
import { createRemote, disposeGitDirs, tempDir, type Remote } from '../helpers/git.js';
import { getJson, spawnLabctl, type LabctlProcess } from '../helpers/labctl-process.js';
import { createTestDatabase, requirePostgres } from '../helpers/postgres.js';
import { spawnServe, type ServeProcess } from '../helpers/serve.js';

const PG = await requirePostgres();

/** From the 202 to the database holding the pushed commit; polling alone would take 60 s. */
const WEBHOOK_BOUND_MS = 5000;

interface StatusBody {
  state: string;
  lastAppliedRevision: string | null;
  lastAttemptedRevision: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  served: { revision: string; status: string; snapshotAgeSeconds: number } | null;
  watchers: WatcherRow[];
}

/** A port that was free a moment ago (watch --port does not report the port it bound). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const reconcile = (base: string, authorization?: string, method = 'POST') =>
  fetch(`${base}/v1/reconcile`, { method, headers: authorization === undefined ? {} : { authorization } });

describe.skipIf(!PG)('the reconcile webhook and GET /v1/status', () => {
  const procs: Array<LabctlProcess | ServeProcess> = [];
  const drops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
    for (const d of drops.splice(0)) await d();
    disposeGitDirs();
  });

  async function setup() {
    const remote = createRemote();
    const db = await createTestDatabase();
    drops.push(db.drop);
    const cwd = tempDir('labctl-webhook-');
    const revision = async () => {
      const r = await cli(['status', '--json'], { cwd, env: { DATABASE_URL: db.url } });
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { revision: string | null; gitSha: string | null };
    };
    return { remote, url: db.url, cwd, revision };
  }

  function watcher(remote: Remote, url: string, cwd: string, extraArgs: string[] = [], env: Record<string, string | undefined> = {}): LabctlProcess {
    const p = spawnLabctl(['watch', '--git', remote.url, '--branch', 'main', '--dir', 'experiments', '--interval', '60s', ...extraArgs], {
      cwd,
      env: { DATABASE_URL: url, LABCTL_CACHE_DIR: tempDir('labctl-cache-'), LABCTL_ADMIN_TOKEN: undefined, ...env },
    });
    procs.push(p);
    return p;
  }

  const relabel = (remote: Remote, label: string) => remote.clone.edit('experiments/checkout.yaml', /(name: checkout-copy[\s\S]*?value: \{ label: )[^}]*?( \})/, `$1${label}$2`);

  it('labctl serve: 401 without or with a wrong token (never logged), 202 → the leader applies the push at once; 404 when off', async () => {
    const { remote, url, cwd, revision } = await setup();
    const token = randomBytes(24).toString('hex');
    const wrong = `wrong-${randomBytes(12).toString('hex')}`;

    const leader = watcher(remote, url, cwd);
    const first = (await leader.waitForStderr(/applied revision ([0-9a-f]{12})[\s\S]*Ctrl-C to stop/))[1]!;
    const standby = watcher(remote, url, cwd);
    await standby.waitForStderr(/another watcher leads, standing by/);
    const serve = await spawnServe({ cwd, env: { DATABASE_URL: url, LABCTL_ADMIN_TOKEN: token } });
    procs.push(serve);

    // Rejected: no header, a wrong token, the right token in the wrong scheme or with a suffix, GET.
    for (const auth of [undefined, `Bearer ${wrong}`, `Basic ${Buffer.from(`x:${token}`).toString('base64')}`, token, `Bearer ${token}x`, 'Bearer ']) {
      const res = await reconcile(serve.url, auth);
      expect(res.status, `Authorization: ${auth ?? '(none)'}`).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      const body = await res.text();
      expect(JSON.parse(body)).toEqual({ error: { code: 'unauthorized', message: 'missing or wrong credentials (Authorization: Bearer, X-Gitlab-Token or X-Hub-Signature-256)' } });
      expect(body).not.toContain(token);
      expect(body).not.toContain(wrong);
    }
    expect((await reconcile(serve.url, `Bearer ${token}`, 'GET')).status).toBe(405);
    await waitFor(() => (serve.stderr().match(/webhook: rejected/g)?.length ?? 0) >= 6, 'six rejections in the log');
    for (const out of [serve.stderr(), serve.stdout(), leader.stderr(), standby.stderr()]) {
      expect(out).not.toContain(token);
      expect(out).not.toContain(wrong);
    }
    // A rejected request triggered nothing.
    expect(leader.stderr().match(/applied revision/g)).toHaveLength(1);

    // A pushed change waits for the next poll (60 s) …
    relabel(remote, 'Continue now');
    const sha = remote.push('via webhook');
    const leaderMark = leader.stderr().length;
    const standbyMark = standby.stderr().length;
    expect((await revision()).revision).toBe(first);
    // … unless the webhook asks for it.
    const res = await reconcile(serve.url, `Bearer ${token}`);
    const acceptedAt = performance.now();
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'accepted', message: 'the leader watcher will fetch and reconcile now' });
    const after = await waitFor(async () => {
      const r = await revision();
      return r.gitSha === sha ? r : null;
    }, 'the leader to apply the pushed commit', WEBHOOK_BOUND_MS + 5000);
    const elapsed = performance.now() - acceptedAt;
    console.info(`webhook: 202 → pushed commit applied after ${elapsed.toFixed(0)} ms (poll interval 60 s)`);
    expect(elapsed).toBeLessThan(WEBHOOK_BOUND_MS);
    expect((await leader.waitForStderr(/applied revision ([0-9a-f]{12}): 0 added, 1 changed/, { from: leaderMark }))[1]).toBe(after.revision);
    // Only the leader acts on it.
    expect(standby.stderr().slice(standbyMark)).toBe('');

    // GET /v1/status: the leader's state, every watcher, and what this runtime serves.
    const st = await waitFor(async () => {
      const r = await getJson<StatusBody>(`${serve.url}/v1/status`);
      return r.body.lastAppliedRevision === after.revision && r.body.served?.revision === after.revision ? r : null;
    }, 'GET /v1/status to show the new revision');
    expect(st.status).toBe(200);
    expect(Object.keys(st.body).sort()).toEqual(['lastAppliedRevision', 'lastAttemptedRevision', 'lastError', 'lastErrorAt', 'served', 'state', 'watchers']);
    expect(st.body).toMatchObject({ state: 'Ready', lastAppliedRevision: after.revision, lastAttemptedRevision: after.revision, lastError: null, lastErrorAt: null });
    expect(st.body.served).toMatchObject({ revision: after.revision, status: 'ready' });
    expect(st.body.watchers).toHaveLength(2);
    expect(st.body.watchers[0]).toMatchObject({ leader: true, pid: leader.pid, state: 'Ready', source: `git:${remote.url}#main` });
    expect(st.body.watchers[1]).toMatchObject({ leader: false, pid: standby.pid, state: 'Standby' });
    for (const w of st.body.watchers) expect(Object.keys(w).sort()).toEqual(['heartbeatAt', 'host', 'id', 'lastAppliedRevision', 'lastAttemptedRevision', 'lastError', 'lastErrorAt', 'leader', 'pid', 'source', 'state']);

    // Without LABCTL_ADMIN_TOKEN the endpoint does not exist, whatever the request carries.
    const off = await spawnServe({ cwd, env: { DATABASE_URL: url, LABCTL_ADMIN_TOKEN: undefined } });
    procs.push(off);
    for (const auth of [undefined, `Bearer ${token}`, 'Bearer ']) {
      const r = await reconcile(off.url, auth);
      expect(r.status).toBe(404);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
    expect((await getJson(`${off.url}/v1/status`)).status).toBe(200);
    expect(off.stderr()).not.toContain(token);
  });

  it('labctl watch --port: the watcher serves the webhook and /v1/status itself', async () => {
    const { remote, url, cwd, revision } = await setup();
    const token = randomBytes(24).toString('hex');
    const port = await freePort();
    const w = watcher(remote, url, cwd, ['--port', String(port)], { LABCTL_ADMIN_TOKEN: token });
    const first = (await w.waitForStderr(/applied revision ([0-9a-f]{12})[\s\S]*Ctrl-C to stop/))[1]!;
    const base = `http://127.0.0.1:${port}`;
    expect((await getJson(`${base}/healthz`)).body).toEqual({ status: 'ok' });
    expect((await reconcile(base)).status).toBe(401);
    expect((await reconcile(base, 'Bearer nope')).status).toBe(401);

    relabel(remote, 'Continue now');
    const sha = remote.push('via the watcher port');
    expect((await reconcile(base, `Bearer ${token}`)).status).toBe(202);
    const after = await waitFor(async () => {
      const r = await revision();
      return r.gitSha === sha ? r : null;
    }, 'the watcher to apply the pushed commit', WEBHOOK_BOUND_MS);
    expect(after.revision).not.toBe(first);
    const st = await waitFor(async () => {
      const r = await getJson<StatusBody>(`${base}/v1/status`);
      return r.body.lastAppliedRevision === after.revision ? r.body : null;
    }, 'the watcher status to show the new revision');
    expect(st).toMatchObject({ state: 'Ready', lastError: null, served: null, watchers: [{ leader: true, pid: w.pid }] });
    expect(w.stderr()).not.toContain(token);
    expect(await w.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
