import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertFreshBuild } from '../helpers/build.js';
import { cli, spawnCli, type CliResult } from '../helpers/cli.js';
import { createTestDatabase, requirePostgres } from '../helpers/postgres.js';
import { corpusCase } from '../helpers/corpus.js';

/**
 * Invalid specs must never reach the database: plan and apply on a bad tree exit 1 and leave every
 * labctl table exactly as it was. A database that is down gives exit 1 with a one-line reason.
 */


/** Corpus cases covering each stage: bytes, YAML, schema, references, cross-resource rules, duplicates. */
const CASES = [
  'yaml-syntax-error',
  'anchor-bomb',
  'empty-file',
  'zero-weight',
  'one-variant',
  'unknown-field-did-you-mean',
  'unknown-layer',
  'overlapping-layer-ranges',
  'duplicate-name-two-files',
  'holdout-missing-experiment',
];

const VALID_TREE: Record<string, string> = {
  'experiments/layers.yaml': 'kind: Layer\nname: checkout\nunit: user_id\n',
  'experiments/metrics.yaml': 'kind: Metric\nname: checkout-completed\ntype: conversion\nevent: checkout_completed\n',
  'experiments/checkout.yaml': `kind: Experiment
name: checkout-button
status: running
unit: user_id
variants:
  - key: control
    weight: 50
  - key: green
    weight: 50
layer: { name: checkout, range: [0, 0.5] }
metrics: { primary: [checkout-completed] }
`,
};

const tmpRoot = mkdtempSync(join(tmpdir(), 'labctl-invalid-db-'));
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));

function writeTree(name: string, files: Record<string, string>): string {
  const dir = join(tmpRoot, name);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

function expectNoStackTrace(r: CliResult): void {
  const out = r.stdout + r.stderr;
  expect(out).not.toMatch(/^\s+at\s+\S+/m);
  expect(out).not.toMatch(/\b[A-Za-z]*Error(?:\s\[[A-Z_]+\])?:/);
  expect(out).not.toMatch(/internal error/i);
}

/** Every row of every table in the labctl schema, as sorted JSON text per table. */
async function snapshot(url: string): Promise<Record<string, string[]>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const tables = await c.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'labctl' AND table_type = 'BASE TABLE' ORDER BY table_name",
    );
    const out: Record<string, string[]> = {};
    for (const { table_name } of tables.rows) {
      const rows = await c.query<{ r: string }>(`SELECT row_to_json(t)::text AS r FROM labctl.${pg.escapeIdentifier(table_name)} t`);
      out[table_name] = rows.rows.map((x) => x.r).sort();
    }
    return out;
  } finally {
    await c.end();
  }
}

const pgAvailable = await requirePostgres();

describe.skipIf(!pgAvailable)('invalid specs write nothing to the database', () => {
  let db: { url: string; drop: () => Promise<void> };
  let before: Record<string, string[]>;
  const cwd = join(tmpRoot, 'cwd');

  beforeAll(async () => {
    expect(await requirePostgres()).toBe(true);
    mkdirSync(cwd, { recursive: true });
    db = await createTestDatabase();
    const valid = writeTree('valid', VALID_TREE);
    const applied = await cli(['apply', '--dir', valid], { cwd, env: { DATABASE_URL: db.url } });
    expect(applied.code, applied.stderr).toBe(0);
    before = await snapshot(db.url);
    // The baseline really holds the applied state, so an accidental write would show up as a difference.
    expect(before.resources).toHaveLength(3);
    expect(before.runs).toHaveLength(1);
  });

  afterAll(async () => {
    await db?.drop();
  });

  const unreadable = () => {
    const dir = writeTree('unreadable', VALID_TREE);
    symlinkSync('missing-target.yaml', join(dir, 'experiments', 'gone.yaml'));
    return dir;
  };

  it.each([...CASES.map((name) => ({ name, dir: () => corpusCase(name).dir })), { name: 'unreadable-dangling-symlink', dir: unreadable }])(
    '$name: plan and apply exit 1 and change no row',
    async ({ dir }) => {
      const specDir = dir();
      const env = { DATABASE_URL: db.url };

      const plan = await cli(['plan', '--dir', specDir], { cwd, env });
      expect(plan.code, plan.stderr).toBe(1);
      expectNoStackTrace(plan);
      expect(plan.stderr).toMatch(/^error\[[a-z-]+\]: /m);
      expect(plan.stderr).toMatch(/^error: the specs are invalid; no plan was made$/m);
      expect(plan.stdout).toBe('');

      const apply = await cli(['apply', '--dir', specDir], { cwd, env });
      expect(apply.code, apply.stderr).toBe(1);
      expectNoStackTrace(apply);
      expect(apply.stderr).toMatch(/^error\[[a-z-]+\]: /m);
      expect(apply.stderr).toMatch(/^error: the specs are invalid; nothing was applied$/m);
      expect(apply.stdout).toBe('');

      const pruned = await cli(['apply', '--prune', '--dir', specDir], { cwd, env });
      expect(pruned.code).toBe(1);

      expect(await snapshot(db.url)).toEqual(before);
    },
  );

  it('the valid tree still applies as a no-op afterwards (the database was left usable)', async () => {
    const r = await cli(['apply', '--dir', join(tmpRoot, 'valid')], { cwd, env: { DATABASE_URL: db.url } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('No changes.');
  });
});

describe('a database that is down', () => {
  const DOWN = 'postgres://postgres@127.0.0.1:1/x';
  const cwd = join(tmpRoot, 'cwd-down');
  let valid: string;

  beforeAll(() => {
    mkdirSync(cwd, { recursive: true });
    valid = writeTree('valid-down', VALID_TREE);
  });

  /** Exactly one `error:` line that names the reason, then a hint; nothing else alarming. */
  function expectOneLineReason(r: CliResult): void {
    expect(r.code, r.stderr).toBe(1);
    expectNoStackTrace(r);
    const errors = r.stderr.split('\n').filter((l) => /^error\b/.test(l));
    expect(errors, r.stderr).toHaveLength(1);
    expect(errors[0]).toMatch(/^error: cannot connect to PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/x \(DATABASE_URL\): connection refused at 127\.0\.0\.1:1 \(nothing listens there\)$/);
    expect(r.stderr).toMatch(/^ {2}hint: \S.*DATABASE_URL/m);
  }

  it.each([
    ['plan', ['plan', '--dir', '.']],
    ['apply', ['apply', '--dir', '.']],
    ['status', ['status']],
    ['migrate', ['migrate']],
  ])('%s exits 1 with one error line and a hint', async (_name, args) => {
    const r = await cli(args, { cwd: valid, env: { DATABASE_URL: DOWN } });
    expectOneLineReason(r);
    expect(r.stdout).toBe('');
  });

  it('an invalid tree is reported as invalid before any connection is tried', async () => {
    const r = await cli(['plan', '--dir', corpusCase('zero-weight').dir], { cwd, env: { DATABASE_URL: DOWN } });
    expect(r.code).toBe(1);
    expectNoStackTrace(r);
    expect(r.stderr).toContain('error[out-of-range]');
    expect(r.stderr).not.toContain('cannot connect');
  });

  it('the built CLI process exits 1 with the same one-line reason', async () => {
    assertFreshBuild();
    const r = await spawnCli(['plan', '--dir', '.'], { cwd: valid, env: { DATABASE_URL: DOWN } });
    expectOneLineReason(r);
  });
});
