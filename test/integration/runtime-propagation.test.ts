// apply → served within 1 s: on PostgreSQL by two spawned `labctl serve` replicas (NOTIFY through the
// server), and in-process on PGlite by a LiveSnapshot sharing apply's Database object.
// Needs the built CLI (`npx tsc -p .`).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { apply } from '../../reconciler/apply/index.js';
import { readSpecDir, SpecLoader } from '../../reconciler/load/index.js';
import { migrate, openDatabase, type Database } from '../../adapters/db/index.js';
import { LiveSnapshot } from '../../runtime/live/live.js';
import { assertFreshBuild } from '../helpers/build.js';
import { createWorkspace, type Workspace } from '../helpers/engines.js';
import { requirePostgres } from '../helpers/postgres.js';
import { spawnServe, type ServeProcess } from '../helpers/serve.js';
import { currentProcess } from '../../cli/host.js';

const PG = await requirePostgres();
if (PG) assertFreshBuild();

/** Propagation bound of the issue: from apply's exit to every replica answering the new revision. */
const BOUND_MS = 1000;
const POLL_MS = 20;

/** Change a variant value of a running experiment (moves nobody, so no phase bump is needed). */
function changeCopy(specsDir: string, label: string): void {
  const file = join(specsDir, 'checkout.yaml');
  const text = readFileSync(file, 'utf8');
  const next = text.replace(/value: \{ label: Continue[^}]*\}/, `value: { label: ${label} }`);
  expect(next).not.toBe(text);
  writeFileSync(file, next);
}

async function served(r: ServeProcess): Promise<{ revision: string; header: string | null; label: string }> {
  // u1 falls outside checkout-copy's layer slice, so it always gets the control (the changed variant).
  const res = await fetch(`${r.url}/v1/assign/checkout-copy?user_id=u1`);
  const body = (await res.json()) as { revision: string; variant: string; reason: string; value: { label: string } };
  expect(body).toMatchObject({ variant: 'control', reason: 'layer_miss' });
  return { revision: body.revision, header: res.headers.get('x-labctl-revision'), label: body.value.label };
}

describe('propagation to two `labctl serve` replicas on one PostgreSQL database', () => {
  let ws: Workspace | undefined;
  const replicas: ServeProcess[] = [];
  afterEach(async () => {
    await Promise.all(replicas.splice(0).map((r) => r.stop()));
    await ws?.dispose();
    ws = undefined;
  });

  it.skipIf(!PG)('both replicas answer with the new revision within 1 s of apply exiting', async () => {
    ws = await createWorkspace('postgres', { applied: true });
    const w = ws;
    replicas.push(...(await Promise.all([spawnServe({ cwd: w.dir, env: w.env }), spawnServe({ cwd: w.dir, env: w.env })])));
    const before = await Promise.all(replicas.map(served));
    expect(before[0]!.revision).toMatch(/^[0-9a-f]{12}$/);
    expect(before[1]!.revision).toBe(before[0]!.revision);
    expect(before.map((b) => b.label)).toEqual(['Continue', 'Continue']);

    for (const [round, label] of ['Continue now', 'Continue today'].entries()) {
      changeCopy(w.specs, label);
      const applied = await w.spawn(['apply']);
      const exitedAt = performance.now();
      expect(applied.stderr).not.toMatch(/error/i);
      expect(applied.code).toBe(0);
      const revision = /Revision ([0-9a-f]{12})/.exec(applied.stdout)?.[1];
      expect(revision).toBeDefined();

      // Poll both replicas every 20 ms until each answers with the new revision; note when each did.
      const seenAfter: Array<number | undefined> = [undefined, undefined];
      for (;;) {
        const now = await Promise.all(replicas.map(served));
        const elapsed = performance.now() - exitedAt;
        now.forEach((s, i) => {
          if (seenAfter[i] === undefined && s.revision === revision) {
            expect(s).toEqual({ revision, header: revision, label });
            seenAfter[i] = elapsed;
          }
        });
        if (seenAfter.every((t) => t !== undefined)) break;
        if (elapsed > BOUND_MS) throw new Error(`round ${round}: after ${Math.round(elapsed)} ms the replicas serve ${now.map((s) => s.revision).join(', ')}, not ${revision}`);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
      console.info(`propagation (postgres, round ${round}): replica 1 after ${seenAfter[0]!.toFixed(1)} ms, replica 2 after ${seenAfter[1]!.toFixed(1)} ms of apply's exit`);
      expect(Math.max(...(seenAfter as number[]))).toBeLessThan(BOUND_MS);
    }
    // Each replica logged the swap.
    for (const r of replicas) expect(r.stderr()).toContain('now serving revision');
  }, 60_000);
});

describe('propagation in-process on PGlite (one Database shared by apply and LiveSnapshot)', () => {
  let ws: Workspace | undefined;
  let db: Database | undefined;
  let live: LiveSnapshot | undefined;
  afterEach(async () => {
    await live?.close();
    await db?.close();
    await ws?.dispose();
    live = db = ws = undefined;
  });

  async function applyDir(d: Database, dir: string): Promise<string> {
    const state = new SpecLoader().load(await readSpecDir(dir));
    expect(state.diagnostics.filter((x) => x.severity === 'error')).toEqual([]);
    const r = await apply(d, { desired: state.resources }, { prune: false, gitSha: 'test', now: () => new Date(), actor: 'test', lockTimeoutMs: 5000, allowMassArchive: false });
    expect(r.outcome).toBe('applied');
    return r.plan.revision;
  }

  it('a LiveSnapshot on the same PGlite Database sees the new revision within 1 s of apply', async () => {
    ws = await createWorkspace('pglite');
    db = await openDatabase({ cwd: ws.dir, applicationName: 'labctl test', host: currentProcess() });
    await migrate(db);
    const first = await applyDir(db, ws.specs);
    // Polling far slower than the bound: only NOTIFY can make it.
    live = await LiveSnapshot.open({ db, pollMs: 60_000 });
    expect(live.current.revision).toBe(first);
    const changes: string[] = [];
    live.on('change', (s: { revision: string }) => changes.push(s.revision));

    changeCopy(ws.specs, 'Continue now');
    const second = await applyDir(db, ws.specs);
    const appliedAt = performance.now();
    expect(second).not.toBe(first);
    let elapsed = 0;
    while (live.current.revision !== second) {
      elapsed = performance.now() - appliedAt;
      if (elapsed > BOUND_MS) throw new Error(`after ${Math.round(elapsed)} ms the live snapshot is still at ${live.current.revision}, not ${second}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    elapsed = performance.now() - appliedAt;
    console.info(`propagation (pglite, in-process): ${elapsed.toFixed(1)} ms after apply resolved`);
    expect(elapsed).toBeLessThan(BOUND_MS);
    expect(changes).toEqual([second]);
    expect(live.current.experiments.get('checkout-copy')!.variants[0]!.value).toEqual({ label: 'Continue now' });
    expect(live.health()).toMatchObject({ status: 'ready', revision: second, lastError: null });
  }, 60_000);
});
