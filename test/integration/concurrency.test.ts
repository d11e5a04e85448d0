import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LOCKS, LOCK_CLASS } from '../../adapters/db/locks.js';
import { assertFreshBuild } from '../helpers/build.js';
import { createWorkspace, engines, waitFor, type Workspace } from '../helpers/engines.js';

// PGlite starts take seconds each and these tests run several CLI commands; CI machines are slow.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

// Advisory locks across sessions only mean something on PostgreSQL: PGlite is single-process
// (its exclusivity is tested in pglite-lock.test.ts).
const POSTGRES = (await engines()).find((e) => e.name === 'postgres')!;
assertFreshBuild();

describe.skipIf(!POSTGRES.available)('concurrent applies (postgres)', () => {
  let ws: Workspace | undefined;
  let holder: pg.Client | undefined;
  beforeEach(async () => {
    ws = await createWorkspace('postgres');
    holder = new pg.Client({ connectionString: ws.url, application_name: 'lock-holder-test' });
    await holder.connect();
  });
  afterEach(async () => {
    await holder?.end();
    holder = undefined;
    await ws?.dispose();
    ws = undefined;
  });

  it('the lock ids are the documented ones', () => {
    expect(LOCK_CLASS).toBe(27746);
    expect(LOCKS.apply.id).toBe(2);
  });

  it('apply times out with exit 1 naming the "labctl apply" lock and its holder while another session holds it; succeeds once released', async () => {
    const w = ws!;
    // Migrate first so the schema exists; the migrate lock (id 1) is separate from the apply lock.
    expect((await w.cli(['migrate'])).code).toBe(0);
    await holder!.query('SELECT pg_advisory_lock($1, $2)', [LOCK_CLASS, LOCKS.apply.id]);

    const started = Date.now();
    const blocked = await w.cli(['apply', '--lock-timeout', '1']);
    const elapsed = Date.now() - started;
    expect(blocked.code, blocked.stdout).toBe(1);
    expect(blocked.stderr).toContain('timed out after 1.0s waiting for the "labctl apply" lock');
    expect(blocked.stderr).toContain('lock-holder-test');
    expect(blocked.stderr).toContain('hint: another apply is running');
    expect(blocked.stderr).not.toMatch(/^\s+at /m);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    const rows = await w.withDb(async (db) => ({
      resources: await db.query<{ n: number }>('SELECT count(*)::int AS n FROM labctl.resources'),
      runs: await db.query<{ outcome: string; error: string }>('SELECT outcome, error FROM labctl.runs ORDER BY id'),
    }));
    expect(rows.resources[0]!.n).toBe(0);
    expect(rows.runs).toHaveLength(1);
    expect(rows.runs[0]!.outcome).toBe('failed');
    expect(rows.runs[0]!.error).toContain('labctl apply');

    await holder!.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_CLASS, LOCKS.apply.id]);
    const ok = await w.cli(['apply', '--lock-timeout', '1']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('Apply complete: 7 added');
  });

  it('two concurrent apply processes both succeed: one applies, the other waits and finds nothing to do', async () => {
    const w = ws!;
    // Hold the lock so both processes are certainly waiting at the same time, then let them go.
    await holder!.query('SELECT pg_advisory_lock($1, $2)', [LOCK_CLASS, LOCKS.apply.id]);
    const a = w.spawn(['apply', '--lock-timeout', '60']);
    const b = w.spawn(['apply', '--lock-timeout', '60']);
    await waitFor(async () => {
      const r = await holder!.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'labctl apply' AND xact_start IS NOT NULL AND query LIKE '%pg_try_advisory_xact_lock%'",
      );
      return r.rows[0]!.n === 2;
    }, 'both applies to wait for the lock', 30_000);
    await holder!.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_CLASS, LOCKS.apply.id]);

    const results = await Promise.all([a, b]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const outputs = results.map((r) => r.stdout).sort();
    expect(outputs[0]).toContain('Apply complete: 7 added, 0 changed, 0 archived.');
    expect(outputs[1]).toContain('No changes. Nothing to apply');
    expect(await w.sql('SELECT outcome FROM labctl.runs ORDER BY id')).toEqual([{ outcome: 'applied' }, { outcome: 'no-op' }]);
    expect((await w.cli(['plan', '--detailed-exitcode'])).code).toBe(0);
  });

  it('two concurrent apply processes racing freely both succeed', async () => {
    const w = ws!;
    const results = await Promise.all([w.spawn(['apply']), w.spawn(['apply'])]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const outcomes = (await w.sql<{ outcome: string }>('SELECT outcome FROM labctl.runs ORDER BY id')).map((r) => r.outcome).sort();
    expect(outcomes).toEqual(['applied', 'no-op']);
  });
});
