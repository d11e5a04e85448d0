import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, type Database } from '../../adapters/db/index.js';
import { assertFreshBuild } from '../helpers/build.js';
import { spawnHelper, type Helper } from '../helpers/labctl-process.js';
import { createWorkspace, type Workspace } from '../helpers/engines.js';
import { currentProcess } from '../../cli/host.js';

// PGlite starts take seconds each and these tests run several CLI commands; CI machines are slow.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

assertFreshBuild();

/** The contract: a second process must fail at once, never wait; generous for a loaded CI machine. */
const AT_ONCE_MS = 15_000;

describe('PGlite is held by one process at a time', () => {
  let ws: Workspace | undefined;
  let helper: Helper | undefined;
  let held: Database | undefined;
  beforeEach(async () => {
    ws = await createWorkspace('pglite', { state: 'applied' });
  });
  afterEach(async () => {
    if (helper && helper.child.exitCode === null && helper.child.signalCode === null) {
      helper.child.kill('SIGKILL');
      await helper.exited;
    }
    helper = undefined;
    await held?.close();
    held = undefined;
    await ws?.dispose();
    ws = undefined;
  });

  it('a spawned labctl plan fails at once with exit 1 naming the holder pid and suggesting DATABASE_URL', async () => {
    const w = ws!;
    helper = spawnHelper('./hold-pglite.mjs', [], { cwd: w.dir, env: { DATABASE_URL: undefined } });
    await helper.waitForOutput('ready', 60_000);
    const pid = helper.child.pid!;
    const lock = JSON.parse(readFileSync(join(w.dir, '.labctl', 'db.lock'), 'utf8'));
    expect(lock).toMatchObject({ pid, host: hostname(), command: 'labctl hold-test' });

    for (const args of [['plan'], ['apply'], ['status'], ['migrate']]) {
      const started = Date.now();
      const r = await w.spawn(args);
      expect(Date.now() - started, `${args[0]} must not wait for the holder`).toBeLessThan(AT_ONCE_MS);
      expect(r.code, `${args[0]}: ${r.stdout}`).toBe(1);
      expect(r.stderr).toContain(`error: the embedded database ${join(w.dir, '.labctl', 'db')} is in use by process ${pid} (labctl hold-test`);
      expect(r.stderr).toContain('DATABASE_URL');
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
    // validate needs no database.
    expect((await w.spawn(['validate'])).code).toBe(0);

    // Once the holder is gone (closing cleanly removes the lock), the next process gets the database.
    helper.child.stdin.end();
    expect((await helper.exited).code).toBe(0);
    expect(existsSync(join(w.dir, '.labctl', 'db.lock'))).toBe(false);
    const r = await w.spawn(['plan', '--detailed-exitcode']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('while this process holds it through openDatabase, a spawned plan fails naming this pid; after close it works', async () => {
    const w = ws!;
    held = await openDatabase({ cwd: w.dir, applicationName: 'labctl in-process-test', host: currentProcess() });
    const r = await w.spawn(['plan']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`is in use by process ${process.pid} (labctl in-process-test`);
    expect(r.stderr).toContain('set DATABASE_URL to a PostgreSQL server');
    // The same process opening it twice is refused too (PGlite would corrupt it).
    await expect(openDatabase({ cwd: w.dir, host: currentProcess() })).rejects.toThrow(`in use by process ${process.pid}`);
    // The holder can still use its handle: the refused attempt did not release the lock.
    expect(await held.query('SELECT count(*)::int AS n FROM labctl.resources')).toEqual([{ n: 7 }]);
    expect(existsSync(join(w.dir, '.labctl', 'db.lock'))).toBe(true);
    await held.close();
    held = undefined;
    const ok = await w.spawn(['plan', '--detailed-exitcode']);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('a lock left by a process that died is taken over', async () => {
    const w = ws!;
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const pid = Number(dead.stdout);
    expect(pid).toBeGreaterThan(0);
    writeFileSync(join(w.dir, '.labctl', 'db.lock'), JSON.stringify({ pid, host: hostname(), command: 'labctl apply', started: new Date().toISOString() }));
    const r = await w.spawn(['plan', '--detailed-exitcode']);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(w.dir, '.labctl', 'db.lock'))).toBe(false);
  });

  it('a lock held on another host is never taken over', async () => {
    const w = ws!;
    writeFileSync(join(w.dir, '.labctl', 'db.lock'), JSON.stringify({ pid: 1, host: 'other-host.example', command: 'labctl serve', started: '2026-01-01T00:00:00.000Z' }));
    const r = await w.spawn(['plan']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('in use by process 1 (labctl serve, on other-host.example since 2026-01-01T00:00:00.000Z)');
  });

  it('a SIGKILLed holder leaves a lock that the next process takes over', async () => {
    const w = ws!;
    helper = spawnHelper('./hold-pglite.mjs', [], { cwd: w.dir, env: { DATABASE_URL: undefined } });
    await helper.waitForOutput('ready', 60_000);
    helper.child.kill('SIGKILL');
    await helper.exited;
    expect(existsSync(join(w.dir, '.labctl', 'db.lock'))).toBe(true);
    const r = await w.spawn(['plan', '--detailed-exitcode']);
    expect(r.code, r.stderr).toBe(0);
  });
});
