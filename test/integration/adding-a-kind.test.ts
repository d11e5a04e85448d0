import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import type { Database } from '../../core/db.js';
import { KINDS } from '../../kinds/index.js';
import { SpecLoader } from '../../reconciler/load/validate.js';
import { makePlan } from '../../reconciler/plan/pipeline.js';
import { apply, type ApplyOptions } from '../../reconciler/apply/apply.js';
import { LiveSnapshot } from '../../runtime/live/live.js';
import { RuntimeServer } from '../../runtime/server/server.js';
import { engines, useWorkspace, waitFor } from '../helpers/engines.js';
import { greetingKind } from '../fixtures/kinds/greeting/kind.js';

// docs/architecture.md#adding-a-kind, proved: a kind is a folder (test/fixtures/kinds/greeting/),
// one line (the list below) and a migration (migration.sql). Nothing else in labctl changes, and
// the kind goes through validate, plan, apply, drift and the runtime like the built-in ones.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const KINDS_WITH_GREETING = [...KINDS, greetingKind];
const MIGRATION = readFileSync(new URL('../fixtures/kinds/greeting/migration.sql', import.meta.url), 'utf8');
const ENGINES = await engines();

const file = (text: string) => [{ path: 'greetings/hello.yaml', bytes: Buffer.from(text) }];
const HELLO = 'kind: Greeting\nname: hello\nmessage: "  Hello, world  "\naudience: everyone\n';

function options(): ApplyOptions {
  return { prune: false, gitSha: 'abc123', now: () => new Date('2026-12-02T10:00:00Z'), actor: 'test', lockTimeoutMs: 5000, allowMassArchive: false, kinds: KINDS_WITH_GREETING };
}

describe('adding a kind', () => {
  it('is refused by the loader without the one line, and validated with it: schema and rule errors carry positions', () => {
    const without = new SpecLoader().load(file(HELLO));
    expect(without.diagnostics.map((d) => d.code)).toEqual(['unknown-kind']);

    const loader = new SpecLoader(KINDS_WITH_GREETING);
    const ok = loader.load(file(HELLO));
    expect(ok.diagnostics).toEqual([]);
    expect(ok.resources).toMatchObject([{ kind: 'Greeting', name: 'hello', spec: { message: 'Hello, world', audience: 'everyone' } }]);

    const bad = loader.load(file('kind: Greeting\nname: bad\nmessage: "Hi {{name}}"\nloudness: 11\n'));
    expect(bad.diagnostics.map((d) => [d.code, d.range?.start.line])).toEqual([['unknown-field', 4]]);
    const rule = loader.load(file('kind: Greeting\nname: templated\nmessage: "Hi {{name}}"\n'));
    expect(rule.diagnostics).toMatchObject([{ code: 'greeting-template', path: '/message', range: { filename: 'greetings/hello.yaml', start: { line: 3 } }, hint: expect.any(String) }]);
  });

  for (const engine of ENGINES) {
    describe.skipIf(!engine.available)(engine.name, () => {
      const ws = useWorkspace(engine.name, engine.available, { samples: false, state: 'migrated' });

      it('plans, applies, re-plans empty, reports drift, and is served by the runtime, following applies', async () => {
        await ws().withDb(async (db: Database) => {
          await db.exec(MIGRATION);
          const loader = new SpecLoader(KINDS_WITH_GREETING);
          const desired = loader.load(file(HELLO));

          const first = await makePlan({ kind: 'database', q: db }, desired, options());
          expect(first.plan.changes.map((c) => [c.kind, c.name, c.action])).toEqual([['Greeting', 'hello', 'create']]);
          const applied = await apply(db, { desired: desired.resources }, options());
          expect(applied.outcome).toBe('applied');
          expect(await db.query('SELECT name, message, audience FROM labctl.test_greetings')).toEqual([{ name: 'hello', message: 'Hello, world', audience: 'everyone' }]);
          const again = await makePlan({ kind: 'database', q: db }, desired, options());
          expect(again.plan.summary).toMatchObject({ add: 0, change: 0, archive: 0, unchanged: 1 });

          // A hand edit of the kind's own table is drift, restored by the next apply.
          await db.query(`UPDATE labctl.test_greetings SET message = 'edited by hand'`);
          const drift = await makePlan({ kind: 'database', q: db }, desired, options());
          expect(drift.plan.changes).toMatchObject([{ action: 'update', drift: true, fields: [{ path: 'message', before: 'edited by hand', after: 'Hello, world' }] }]);
          await apply(db, { desired: desired.resources }, options());

          const live = await LiveSnapshot.open({ db, pollMs: 60_000, kinds: KINDS_WITH_GREETING });
          const server = new RuntimeServer({ source: live, kinds: KINDS_WITH_GREETING });
          const port = await server.listen(0, '127.0.0.1');
          try {
            const get = (name: string) => fetch(`http://127.0.0.1:${port}/v1/greetings/${name}`);
            const res = await get('hello');
            expect(res.status).toBe(200);
            expect(await res.json()).toMatchObject({ name: 'hello', message: 'Hello, world', revision: live.current.revision });
            const missing = await get('nobody');
            expect(missing.status).toBe(404);
            expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('unknown_greeting');
            expect((await fetch(`http://127.0.0.1:${port}/v1/greetings/hello`, { method: 'POST' })).status).toBe(405);

            // An apply reaches the runtime through NOTIFY, like any other kind's.
            await apply(db, { desired: loader.load(file('kind: Greeting\nname: hello\nmessage: Goodbye\n')).resources }, options());
            const served = await waitFor(async () => {
              const body = (await (await get('hello')).json()) as { message: string };
              return body.message === 'Goodbye' ? body : undefined;
            }, 'the runtime to serve the new greeting');
            expect(served.message).toBe('Goodbye');
          } finally {
            await server.shutdown();
            await live.close();
          }
        });
      });
    });
  }
});
