import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { apply, CHANGES_CHANNEL, type ApplyOptions } from '../../reconciler/apply/index.js';
import { readSpecDir, SpecLoader } from '../../reconciler/load/index.js';
import { migrate, openDatabase, type Database } from '../../adapters/db/index.js';
import { createWorkspace, engines, waitFor, type Workspace } from '../helpers/engines.js';
import { currentProcess } from '../../cli/host.js';

// PGlite starts take seconds each and these tests run several CLI commands; CI machines are slow.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const ENGINES = await engines();

const OPTS: ApplyOptions = { prune: false, gitSha: 'test', now: () => new Date(), actor: 'test', lockTimeoutMs: 10_000, allowMassArchive: false };

async function desired(dir: string) {
  const state = new SpecLoader().load(await readSpecDir(dir));
  expect(state.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return state.resources;
}

describe('NOTIFY labctl_changes', () => {
  it('uses the documented channel', () => {
    expect(CHANGES_CHANNEL).toBe('labctl_changes');
  });
});

describe.each(ENGINES)('NOTIFY after apply ($name)', ({ name, available }) => {
  let ws: Workspace | undefined;
  let db: Database | undefined;
  beforeEach(async (ctx) => {
    ctx.skip(!available, 'PostgreSQL is unreachable');
    ws = await createWorkspace(name, { state: 'migrated' });
  });
  afterEach(async () => {
    await db?.close();
    db = undefined;
    await ws?.dispose();
    ws = undefined;
  });

  it('a listener receives each applied revision on commit, and nothing for a no-op', async () => {
    const w = ws!;
    db = await openDatabase({ databaseUrl: w.url, cwd: w.dir, host: currentProcess() });
    await migrate(db);
    const payloads: string[] = [];
    const unlisten = await db.listen(CHANGES_CHANNEL, (p) => payloads.push(p));

    const first = await apply(db, { desired: await desired(w.dir) }, OPTS);
    expect(first.outcome).toBe('applied');
    await waitFor(() => payloads.length >= 1, 'the first notification');
    expect(payloads).toEqual([first.plan.revision]);

    const noop = await apply(db, { desired: await desired(w.dir) }, OPTS);
    expect(noop.outcome).toBe('no-op');

    const ranking = join(w.specs, 'search-ranking.yaml');
    writeFileSync(ranking, readFileSync(ranking, 'utf8').replace('coverage: 0.2', 'coverage: 0.3'));
    const second = await apply(db, { desired: await desired(w.dir) }, OPTS);
    expect(second.outcome).toBe('applied');
    await waitFor(() => payloads.length >= 2, 'the second notification');
    // Notifications arrive in commit order: had the no-op notified, it would sit between these two.
    expect(payloads).toEqual([first.plan.revision, second.plan.revision]);
    expect(second.plan.revision).not.toBe(first.plan.revision);
    expect(await db.query('SELECT revision FROM labctl.state')).toEqual([{ revision: second.plan.revision }]);
    await unlisten();
  });

  it('a failed apply notifies nothing', async () => {
    const w = ws!;
    db = await openDatabase({ databaseUrl: w.url, cwd: w.dir, host: currentProcess() });
    await migrate(db);
    const payloads: string[] = [];
    await db.listen(CHANGES_CHANNEL, (p) => payloads.push(p));
    const resources = await desired(w.dir);
    await expect(
      apply(db, { desired: resources }, { ...OPTS, beforeCommit: () => Promise.reject(new Error('boom before commit')) }),
    ).rejects.toThrow('boom before commit');
    expect(await db.query<{ n: number }>('SELECT count(*)::int AS n FROM labctl.resources')).toEqual([{ n: 0 }]);
    expect(await db.query('SELECT outcome, error FROM labctl.runs')).toEqual([{ outcome: 'failed', error: 'boom before commit' }]);
    const ok = await apply(db, { desired: resources }, OPTS);
    await waitFor(() => payloads.length >= 1, 'the notification of the successful apply');
    expect(payloads).toEqual([ok.plan.revision]);
  });
});

describe.skipIf(!ENGINES.find((e) => e.name === 'postgres')!.available)('NOTIFY across processes (postgres)', () => {
  let ws: Workspace | undefined;
  let listener: Database | undefined;
  beforeEach(async () => {
    ws = await createWorkspace('postgres');
  });
  afterEach(async () => {
    await listener?.close();
    await ws?.dispose();
  });

  it('a listener on a separate connection receives the revision the CLI applied', async () => {
    const w = ws!;
    expect((await w.cli(['migrate'])).code).toBe(0);
    listener = await openDatabase({ databaseUrl: w.url, cwd: w.dir, applicationName: 'labctl listener-test', host: currentProcess() });
    const payloads: string[] = [];
    await listener.listen(CHANGES_CHANNEL, (p) => payloads.push(p));
    const r = await w.spawn(['apply']);
    expect(r.code, r.stderr).toBe(0);
    const revision = /Revision ([0-9a-f]{12})/.exec(r.stdout)![1];
    await waitFor(() => payloads.length >= 1, 'the notification');
    expect(payloads).toEqual([revision]);
  });
});
