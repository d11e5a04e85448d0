import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadMigrations } from '../../adapters/db/index.js';
import { createWorkspace, engines, type Workspace } from '../helpers/engines.js';

// PGlite starts take seconds each and these tests run several CLI commands; CI machines are slow.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const ENGINES = await engines();
const MIGRATIONS = loadMigrations();

describe.each(ENGINES)('migrations ($name)', ({ name, available }) => {
  let ws: Workspace | undefined;
  beforeEach((ctx) => {
    ctx.skip(!available, 'PostgreSQL is unreachable');
  });
  afterEach(async () => {
    await ws?.dispose();
    ws = undefined;
  });

  it('labctl migrate applies every migration once; running it again is a no-op', async () => {
    const w = (ws = await createWorkspace(name));
    const first = await w.cli(['migrate']);
    expect(first.code, first.stderr).toBe(0);
    for (const m of MIGRATIONS) expect(first.stdout).toContain(`applied ${m.name}`);
    expect(first.stdout).toContain(`Schema up to date (${name}).`);

    const second = await w.cli(['migrate']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe(`Schema already up to date (${name}).\n`);

    const rows = await w.sql<{ version: number; name: string; checksum: string }>('SELECT version, name, checksum FROM labctl.schema_migrations ORDER BY version');
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name, checksum: m.checksum })));
    // Commands that need the schema accept it as it is.
    expect((await w.cli(['plan'])).code).toBe(0);
  });

  it('an applied migration whose checksum no longer matches stops plan, apply and migrate with exit 1', async () => {
    const w = (ws = await createWorkspace(name, { state: 'applied' }));
    const first = MIGRATIONS[0]!;
    await w.sql('UPDATE labctl.schema_migrations SET checksum = $1 WHERE version = $2', ['0'.repeat(64), first.version]);
    for (const args of [['plan'], ['apply'], ['migrate'], ['status']]) {
      const r = await w.cli(args);
      expect(r.code, `${args[0]}: ${r.stdout}`).toBe(1);
      expect(r.stderr).toContain(`error: migration ${first.name} was edited after it was applied (recorded checksum 000000000000, file ${first.checksum.slice(0, 12)})`);
      expect(r.stderr).toContain('hint: restore the original file and add a new migration for the change');
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
    // Nothing was applied meanwhile.
    expect(await w.sql('SELECT outcome FROM labctl.runs ORDER BY id')).toEqual([{ outcome: 'applied' }]);
  });
});
