// labctl watch --git: a branch of a local bare repository (file:// URL) followed through a cache
// clone; two watchers on one database elect one leader and fail over when it is killed; SIGTERM lets
// the current reconcile finish. Needs PostgreSQL and the built CLI (`npx tsc -p .`).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCK_CLASS, LOCKS } from '../../adapters/db/locks.js';
import type { WatcherRow } from '../../adapters/state/watchers.js';
import { cli } from '../helpers/cli.js';
import { waitFor } from '../helpers/engines.js';
import { createRemote, disposeGitDirs, tempDir, type Remote } from '../helpers/git.js';
import { spawnLabctl, type LabctlProcess } from '../helpers/labctl-process.js';
import { createTestDatabase, requirePostgres } from '../helpers/postgres.js';

const PG = await requirePostgres();

interface Status {
  revision: string | null;
  gitSha: string | null;
  watchers: WatcherRow[];
}

describe.skipIf(!PG)('labctl watch --git', () => {
  const procs: LabctlProcess[] = [];
  const drops: Array<() => Promise<void>> = [];
  const clients: pg.Client[] = [];
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
    for (const c of clients.splice(0)) await c.end().catch(() => undefined);
    for (const d of drops.splice(0)) await d();
    disposeGitDirs();
  });

  async function setup(): Promise<{ remote: Remote; url: string; cwd: string; status: () => Promise<Status> }> {
    const remote = createRemote();
    const db = await createTestDatabase();
    drops.push(db.drop);
    const cwd = tempDir('labctl-watch-git-');
    const status = async () => {
      const r = await cli(['status', '--json'], { cwd, env: { DATABASE_URL: db.url } });
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Status;
    };
    return { remote, url: db.url, cwd, status };
  }

  /** A watcher of main with its own cache directory (as on its own machine). */
  function watcher(remote: Remote, url: string, cwd: string, interval = '1s', env: Record<string, string | undefined> = {}): LabctlProcess {
    const p = spawnLabctl(['watch', '--git', remote.url, '--branch', 'main', '--dir', 'experiments', '--interval', interval], {
      cwd,
      env: { DATABASE_URL: url, LABCTL_CACHE_DIR: tempDir('labctl-cache-'), LABCTL_ADMIN_TOKEN: undefined, ...env },
    });
    procs.push(p);
    return p;
  }

  const relabel = (remote: Remote, label: string) => remote.clone.edit('experiments/checkout.yaml', /(name: checkout-copy[\s\S]*?value: \{ label: )[^}]*?( \})/, `$1${label}$2`);

  it('applies the branch head, then a pushed change; the cache clone has no work tree', async () => {
    const { remote, url, cwd, status } = await setup();
    const cache = tempDir('labctl-cache-');
    const w = watcher(remote, url, cwd, '1s', { LABCTL_CACHE_DIR: cache });
    const first = (await w.waitForStderr(/applied revision ([0-9a-f]{12}): 7 added/))[1]!;
    await w.waitForStderr(/following file:\/\/\S+specs\.git main \(postgres\); Ctrl-C to stop/);
    const s1 = await status();
    expect(s1).toMatchObject({ revision: first, gitSha: remote.clone.head() });

    // The clone lives under LABCTL_CACHE_DIR, without a checkout.
    const clones = readdirSync(cache);
    expect(clones).toHaveLength(1);
    expect(existsSync(join(cache, clones[0]!, '.git'))).toBe(true);
    expect(existsSync(join(cache, clones[0]!, 'experiments'))).toBe(false);

    relabel(remote, 'Continue now');
    const mark = w.stderr().length;
    const sha = remote.push('relabel');
    const pushedAt = performance.now();
    const s2 = await waitFor(async () => {
      const s = await status();
      return s.revision !== first ? s : null;
    }, 'the database to move to the pushed commit', 10_000);
    const elapsed = performance.now() - pushedAt;
    console.info(`watch --git --interval 1s: push → database updated after ${elapsed.toFixed(0)} ms`);
    expect(s2.gitSha).toBe(sha);
    expect((await w.waitForStderr(/applied revision ([0-9a-f]{12}): 0 added, 1 changed/, { from: mark }))[1]).toBe(s2.revision);
    expect(elapsed).toBeLessThan(5000);
    expect(s2.watchers).toMatchObject([{ leader: true, state: 'Ready', source: `git:${remote.url}#main`, lastAppliedRevision: s2.revision, pid: w.pid }]);

    // An invalid push is not applied; the watcher stalls with the error, and a fixing push recovers.
    const mark2 = w.stderr().length;
    remote.clone.edit('experiments/metrics.yaml', 'type: count', 'type: sometimes');
    remote.push('broken');
    await w.waitForStderr(/not applied: specs are invalid \(\d+ errors?\)/, { from: mark2, timeoutMs: 10_000 });
    const stalled = await waitFor(async () => {
      const s = await status();
      return s.watchers[0]?.state === 'Stalled' ? s : null;
    }, 'the watcher row to show Stalled');
    expect(stalled.revision).toBe(s2.revision);
    expect(stalled.watchers[0]!.lastError).toContain('specs are invalid');
    remote.clone.edit('experiments/metrics.yaml', 'type: sometimes', 'type: count');
    relabel(remote, 'Continue today');
    const fixed = remote.push('fixed');
    const s3 = await waitFor(async () => {
      const s = await status();
      return s.gitSha === fixed && s.watchers[0]?.state === 'Ready' ? s : null;
    }, 'the fixing push to be applied', 10_000);
    expect(s3.revision).not.toBe(s2.revision);
  });

  it('two watchers: exactly one leader; SIGKILL the leader → the other leads within seconds and applies the next push', async () => {
    const { remote, url, cwd, status } = await setup();
    const a = watcher(remote, url, cwd);
    await a.waitForStderr(/applied revision [0-9a-f]{12}[\s\S]*Ctrl-C to stop/);
    const b = watcher(remote, url, cwd);
    await b.waitForStderr(/another watcher leads, standing by; Ctrl-C to stop/);
    const both = await waitFor(async () => {
      const s = await status();
      return s.watchers.length === 2 ? s : null;
    }, 'both watchers in labctl.watchers');
    expect(both.watchers.filter((x) => x.leader).map((x) => x.pid)).toEqual([a.pid]);
    expect(both.watchers.find((x) => x.pid === b.pid)).toMatchObject({ leader: false, state: 'Standby' });
    expect(b.stderr()).not.toContain('elected leader');

    const killedAt = performance.now();
    await a.stop('SIGKILL');
    await b.waitForStderr(/elected leader; reconciling/, { timeoutMs: 10_000 });
    const failover = performance.now() - killedAt;
    console.info(`watch --git: SIGKILL of the leader → standby elected after ${failover.toFixed(0)} ms`);
    expect(failover).toBeLessThan(5000);
    // The dead leader's row must not still claim leadership: exactly one leader, the live one.
    const after = await waitFor(async () => {
      const s = await status();
      return s.watchers.some((x) => x.pid === b.pid && x.leader) ? s : null;
    }, 'the standby to report itself leader');
    expect(after.watchers.filter((x) => x.leader).map((x) => x.pid)).toEqual([b.pid]);

    relabel(remote, 'Continue now');
    const mark = b.stderr().length;
    const sha = remote.push('after failover');
    const applied = await b.waitForStderr(/applied revision ([0-9a-f]{12}): 0 added, 1 changed/, { from: mark, timeoutMs: 10_000 });
    const s = await status();
    expect(s).toMatchObject({ revision: applied[1], gitSha: sha });
  });

  it('SIGTERM waits for the reconcile in progress, then exits 0', async () => {
    const { remote, url, cwd, status } = await setup();
    const w = watcher(remote, url, cwd);
    const first = (await w.waitForStderr(/applied revision ([0-9a-f]{12})[\s\S]*Ctrl-C to stop/))[1]!;

    // Hold the apply lock so the next reconcile blocks inside apply, where SIGTERM must find it.
    const holder = new pg.Client({ connectionString: url });
    clients.push(holder);
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, LOCKS.apply.id]);

    relabel(remote, 'Continue now');
    const sha = remote.push('while locked');
    // The watcher's apply transaction is open and polling for the lock. (Asked on another connection:
    // inside the holder's transaction pg_stat_activity would be one frozen snapshot.)
    const observer = new pg.Client({ connectionString: url });
    clients.push(observer);
    await observer.connect();
    await waitFor(async () => {
      const rows = await observer.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'labctl watch' AND xact_start IS NOT NULL AND query LIKE '%pg_try_advisory_xact_lock%'`,
      );
      return Number(rows.rows[0]!.n) > 0;
    }, 'the watcher to wait for the apply lock', 10_000);

    const mark = w.stderr().length;
    w.child.kill('SIGTERM');
    await w.waitForStderr(/SIGTERM, stopping after the current reconcile/, { from: mark });
    expect(w.running).toBe(true);
    expect(w.stderr().slice(mark)).not.toContain('applied revision');

    await holder.query('COMMIT');
    const exit = await Promise.race([w.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))]);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(w.stderr().slice(mark)).toMatch(/applied revision [0-9a-f]{12}: 0 added, 1 changed/);
    const s = await status();
    expect(s.revision).not.toBe(first);
    expect(s.gitSha).toBe(sha);
    expect(s.watchers).toEqual([]);
  });
});
