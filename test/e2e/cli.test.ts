import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { assertFreshBuild } from '../helpers/build.js';
import type { CliResult } from '../helpers/cli.js';
import { ADMIN_URL } from '../helpers/postgres.js';
import { createWorkspace, engines, useWorkspace, type Workspace } from '../helpers/engines.js';

// PGlite starts take seconds each and these tests run several CLI commands; CI machines are slow.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

// End to end: the built CLI (dist/cli/bin.js) as a user runs it, in a fresh process.
assertFreshBuild();
const ENGINES = await engines();

/** A database that does not exist on the test server (or the server is unreachable: same error class). */
function missingDatabase(): string {
  const u = new URL(ADMIN_URL);
  u.pathname = '/labctl_no_such_database';
  return u.toString();
}

/** A Node stack frame: never shown for a user error. */
const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

function expectNoStack(r: CliResult): void {
  expect(r.stderr).not.toMatch(STACK);
  expect(r.stdout).not.toMatch(STACK);
  expect(r.stderr).not.toContain('internal error');
}

describe('labctl without a database', () => {
  let ws: Workspace | undefined;
  beforeEach(async () => {
    ws = await createWorkspace('pglite');
  });
  afterEach(async () => {
    await ws?.dispose();
    ws = undefined;
  });

  it('--help lists the commands and exits 0', async () => {
    const r = await ws!.spawn(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: labctl/);
    for (const c of ['validate', 'plan', 'apply', 'migrate', 'status']) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    const sub = await ws!.spawn(['plan', '--help']);
    expect(sub.code).toBe(0);
    for (const o of ['--dir', '--out', '--format', '--detailed-exitcode']) expect(sub.stdout).toContain(o);
  });

  it('validate on the samples exits 0, in every format', async () => {
    const text = await ws!.spawn(['validate']);
    expect(text.code, text.stdout).toBe(0);
    expect(text.stdout).toContain('7 resources in 4 files valid');
    const json = await ws!.spawn(['validate', '--format', 'json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, error_count: 0, warning_count: 0, diagnostics: [] });
    const gh = await ws!.spawn(['validate', '--format', 'github', '--dir', 'experiments']);
    expect(gh.code).toBe(0);
    expect(gh.stdout).not.toContain('::error');
    // validate touches no database.
    expect(readdirSync(ws!.dir)).not.toContain('.labctl');
  });

  it('validate reports an invalid spec with file, line and code, exit 1, no stack trace', async () => {
    const w = ws!;
    const file = join(w.specs, 'search-ranking.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('weight: 30', 'weight: -1'));
    const r = await w.spawn(['validate']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/experiments\/search-ranking\.yaml:\d+:\d+/);
    expectNoStack(r);
    const json = JSON.parse((await w.spawn(['validate', '--format', 'json'])).stdout);
    expect(json.valid).toBe(false);
    expect(json.error_count).toBeGreaterThan(0);
    expect(json.diagnostics[0]).toMatchObject({ severity: 'error', range: { filename: 'experiments/search-ranking.yaml' } });
    // plan and apply refuse invalid specs the same way.
    for (const cmd of ['plan', 'apply']) {
      const p = await w.spawn([cmd]);
      expect(p.code, cmd).toBe(1);
      expect(p.stderr).toContain('the specs are invalid');
      expectNoStack(p);
    }
  });

  it('user errors exit 1 with a one-line message and no stack trace', async () => {
    const w = ws!;
    const cases: Array<{ args: string[]; env?: Record<string, string>; says: string }> = [
      { args: ['bogus'], says: "unknown command 'bogus'" },
      { args: ['plan', '--format', 'xml'], says: "argument 'xml' is invalid" },
      { args: ['apply', '--lock-timeout', 'abc'], says: 'invalid --lock-timeout "abc"' },
      { args: ['apply', 'no-such-plan.json'], says: 'cannot read plan file no-such-plan.json' },
      { args: ['plan'], env: { DATABASE_URL: 'postgres://postgres:secret@127.0.0.1:1/nope' }, says: 'cannot connect to PostgreSQL at postgres://postgres:***@127.0.0.1:1/nope' },
      { args: ['status'], env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nope' }, says: 'hint: check DATABASE_URL' },
      { args: ['apply'], env: { DATABASE_URL: missingDatabase() }, says: 'error: cannot connect to PostgreSQL at' },
      { args: ['validate', '--dir', 'no-such-dir'], says: 'error: spec directory no-such-dir does not exist' },
      { args: ['plan', '--dir', 'experiments/checkout.yaml'], says: 'spec directory experiments/checkout.yaml is not a directory' },
    ];
    for (const c of cases) {
      const r = await w.spawn(c.args, c.env);
      expect(r.code, `${c.args.join(' ')}: ${r.stderr}`).toBe(1);
      expect(r.stderr, c.args.join(' ')).toContain(c.says);
      expect(r.stderr).not.toContain('secret');
      expectNoStack(r);
    }
  });
});

describe.each(ENGINES)('plan and apply through the built CLI ($name)', ({ name, available }) => {
  const workspace = useWorkspace(name, available, { state: 'migrated' });

  it('plan formats and --detailed-exitcode: 2 with changes, 0 once applied', async () => {
    const w = workspace();
    const json = await w.spawn(['plan', '--format', 'json']);
    expect(json.code, json.stderr).toBe(0);
    const plan = JSON.parse(json.stdout);
    expect(plan.format_version).toBe('1');
    expect(plan.summary).toMatchObject({ add: 7, change: 0, archive: 0 });
    expect(plan.changes).toHaveLength(7);
    expect(plan.base_revision).toBeNull();

    const md = await w.spawn(['plan', '--format', 'markdown']);
    expect(md.code).toBe(0);
    expect(md.stdout.startsWith('**labctl** — Plan: 7 to add, 0 to change, 0 to archive.')).toBe(true);

    const text = await w.spawn(['plan', '--detailed-exitcode']);
    expect(text.code).toBe(2);
    expect(text.stdout).toContain('+ Experiment checkout-button create');
    expect(text.stdout).toContain('Plan: 7 to add, 0 to change, 0 to archive.');
    // Without the flag, changes are not an error.
    expect((await w.spawn(['plan'])).code).toBe(0);

    const out = await w.spawn(['plan', '--out', 'plan.json', '--format', 'json']);
    expect(out.code).toBe(0);
    const saved = JSON.parse(readFileSync(join(w.dir, 'plan.json'), 'utf8'));
    expect(saved.format_version).toBe('1');
    expect(saved.changes.map((c: { name: string }) => c.name)).toEqual(plan.changes.map((c: { name: string }) => c.name));

    const applied = await w.spawn(['apply', 'plan.json']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('Apply complete: 7 added, 0 changed, 0 archived.');
    expect(applied.stderr).toContain('Applying as test');

    const after = await w.spawn(['plan', '--detailed-exitcode', '--format', 'json']);
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout).summary).toMatchObject({ add: 0, change: 0, archive: 0, unchanged: 7 });

    const status = await w.spawn(['status', '--json']);
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout);
    expect(report.database).toMatch(new RegExp(`^${name} `));
    expect(report.lastRun).toMatchObject({ outcome: 'applied', actor: 'test' });

    // A stale saved plan exits 3, no stack trace.
    const again = await w.spawn(['apply', 'plan.json']);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('the plan is stale');
    expectNoStack(again);
  });
});
