import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../core/db.js';
import { migrate } from '../../adapters/db/migrate.js';
import { openDatabase } from '../../adapters/db/open.js';
import { WatcherRegistry } from '../../adapters/state/watchers.js';
import { RECONCILE_CHANNEL } from '../../core/channels.js';
import { currentProcess } from '../../cli/host.js';
import { adminRoutes } from '../../runtime/server/admin.js';
import { Router } from '../../runtime/server/router.js';
import { dispatch } from '../../runtime/server/server.js';

const TOKEN = 'hook-secret';

describe('POST /v1/reconcile on the embedded database', () => {
  let db: Database;
  let server: Server;
  let base: string;
  const notified: string[] = [];

  beforeAll(async () => {
    db = await openDatabase({ cwd: mkdtempSync(`${tmpdir()}/labctl-hook-`), host: currentProcess() });
    await migrate(db);
    await db.listen(RECONCILE_CHANNEL, (p) => notified.push(p));
    const router = new Router(adminRoutes({ db, token: TOKEN }));
    server = createServer((req, res) => void dispatch(router, undefined, req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await db.close();
  });

  it('answers 503 when no watcher runs, and notifies nobody', async () => {
    const res = await fetch(`${base}/v1/reconcile`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('no_watcher');
    expect(notified).toEqual([]);
  });

  it('accepts a GitHub-signed push once a watcher is registered, and notifies the leader', async () => {
    const registry = new WatcherRegistry(db, 'dir:/x', () => ({ leader: true, status: { state: 'Ready', lastAppliedRevision: null, lastAttemptedRevision: null, lastError: null, lastErrorAt: null, lastReconcileAt: null } }), currentProcess());
    await registry.report();
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const signature = `sha256=${createHmac('sha256', TOKEN).update(body).digest('hex')}`;
    const res = await fetch(`${base}/v1/reconcile`, { method: 'POST', headers: { 'x-hub-signature-256': signature, 'content-type': 'application/json' }, body });
    expect(res.status).toBe(202);
    const deadline = Date.now() + 2000;
    while (notified.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(notified).toEqual(['webhook']);
    const forged = await fetch(`${base}/v1/reconcile`, { method: 'POST', headers: { 'x-hub-signature-256': signature }, body: body + ' ' });
    expect(forged.status).toBe(401);
    await registry.stop();
  });
});
