// examples/conversational-assistant as its README runs it, so the example cannot rot: it validates
// on its own and stays out of the repository root's specs, `labctl chat` prints the README's
// conversation, and after an apply to a fresh PostgreSQL database `node play.mjs` against a spawned
// `labctl serve` prints the README's transcripts, with the exposures, the events and the LLM call
// metrics that conversation leaves behind.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSpecFiles } from '../../adapters/files/spec-files.js';
import { assertFreshBuild } from '../helpers/build.js';
import { BIN, spawnCli } from '../helpers/cli.js';
import { docSteps, type DocCommand } from '../helpers/doc-blocks.js';
import { createTestDatabase, requirePostgres } from '../helpers/postgres.js';
import { spawnServe, type ServeProcess } from '../helpers/serve.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLE = join(ROOT, 'examples', 'conversational-assistant');
// Whatever the developer's shell has set must not leak into the example's runs.
const ENV = { LABCTL_ACTOR: 'alice', DATABASE_URL: undefined, REDIS_URL: undefined, LABCTL_FIXTURES_DIR: undefined, LABCTL_INGEST_TOKEN: undefined, ANTHROPIC_API_KEY: undefined, OPENAI_API_KEY: undefined };

/** The README's command and the output it shows under it. */
function shown(command: string): DocCommand {
  const all = docSteps(readFileSync(join(EXAMPLE, 'README.md'), 'utf8')).flatMap((s) => (s.kind === 'commands' ? s.commands : []));
  const c = all.find((x) => x.command === command);
  if (!c) throw new Error(`README.md shows no "$ ${command}"`);
  return c;
}

/** Run node in the example directory with text on its stdin (the server it talks to is another process). */
function run(args: string[], env: Record<string, string | undefined>, input = ''): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { cwd: EXAMPLE, env: { ...process.env, NO_COLOR: '1', ...env }, input, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const available = await requirePostgres();

describe('examples/conversational-assistant offline', () => {
  beforeAll(() => assertFreshBuild());

  it('validates on its own, and the repository root reads none of its files', async () => {
    const r = await spawnCli(['validate'], { cwd: EXAMPLE, env: ENV });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(shown('npx labctl validate').expected);
    expect((await findSpecFiles(ROOT)).filter((f) => f.startsWith('examples/'))).toEqual([]);
  });

  it('labctl chat plays the README conversation in-process, answered by the fixtures', async () => {
    const readme = shown('npx labctl chat support-chat');
    // The README's lines after "you › " are what was typed.
    const typed = [...readme.expected.matchAll(/^you › (.*)$/gm)].map((m) => m[1]).join('\n') + '\n';
    const r = run([BIN, 'chat', 'support-chat'], ENV, typed);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const session = /session ([0-9a-f-]{36}),/.exec(readme.expected)![1]!;
    expect(r.stdout.replace(/session [0-9a-f-]{36},/, `session ${session},`)).toBe(readme.expected);
  });
});

describe.skipIf(!available)('examples/conversational-assistant on labctl serve', () => {
  let db: { url: string; drop: () => Promise<void> };
  let serve: ServeProcess | undefined;

  beforeAll(async () => {
    assertFreshBuild();
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await serve?.stop();
    await db?.drop();
  });

  it('applies as the README shows, and play.mjs prints the README transcripts', async () => {
    const env = { ...ENV, DATABASE_URL: db.url };
    const applied = await spawnCli(['apply'], { cwd: EXAMPLE, env });
    expect(applied.code, applied.stderr).toBe(0);
    expect(`${applied.stderr}${applied.stdout}`).toBe(shown('npx labctl apply').expected);

    serve = await spawnServe({ cwd: EXAMPLE, env });
    const played = run(['play.mjs', serve.url], env);
    expect(played.stderr).toBe('');
    expect(played.code).toBe(0);
    expect(played.stdout).toBe(shown('node play.mjs').expected);

    // What the conversations leave behind: one exposure per customer, an event per resolved one,
    // and the model calls (two per triage conversation that got an answer, one per guided one).
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      // Exposures are written in batches (every 500 ms); wait for the batch.
      const exposures = async () => (await c.query(`SELECT unit, variant FROM labctl.exposures WHERE experiment = 'support-flow' ORDER BY unit`)).rows;
      for (let i = 0; i < 50 && (await exposures()).length < 4; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await exposures()).toEqual([
        { unit: 'ana', variant: 'guided' },
        { unit: 'ben', variant: 'triage' },
        { unit: 'carla', variant: 'triage' },
        { unit: 'dan', variant: 'guided' },
      ]);
      const events = await c.query(`SELECT event, attributes->>'user_id' AS user_id FROM labctl.events ORDER BY 2`);
      expect(events.rows).toEqual([
        { event: 'conversation_resolved', user_id: 'ana' },
        { event: 'conversation_resolved', user_id: 'carla' },
      ]);
    } finally {
      await c.end();
    }
    const metrics = await (await fetch(`${serve.url}/metrics`)).text();
    expect(metrics).toContain('labctl_llm_calls_total{provider="scripted",model="support-fixtures"} 5\n');
  }, 30_000);
});
