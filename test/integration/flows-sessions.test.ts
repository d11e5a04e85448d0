// Sessions of `labctl serve` (in-process, real HTTP) on both stores, the PostgreSQL table and Redis:
// concurrent messages to one session lose no write (JSON turns redo a lost compare-and-set on the
// new state), and a session keeps the flow and prompt versions it started with across an apply.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FlowClient, SAMPLE_FILES, serveInProcess, stepRows, useFlowRuntime, type InProcessServe } from '../helpers/flows-runtime.js';
import { requirePostgres } from '../helpers/postgres.js';
import { REDIS_URL, requireRedis } from '../helpers/redis.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 60_000 });

const NOTES = `kind: Flow
name: notes
slots:
  note: { type: string }
session: { ttl: 10m, maxTurns: 100 }
steps:
  - id: take
    collect: note
    say: "Next note?"
    next:
      - if: { note: done }
        then: bye
      - else: take
  - { id: bye, say: "Bye.", next: end }
`;

const pgUp = await requirePostgres();
const redisUp = await requireRedis();

const STORES = [
  { store: 'database', env: {}, up: pgUp },
  { store: 'redis', env: { REDIS_URL }, up: pgUp && redisUp },
] as const;

describe.each(STORES)('concurrent messages to one session ($store store)', ({ store, env, up }) => {
  const rt = useFlowRuntime(() => ({ files: { 'flows/notes.yaml': NOTES }, samples: false, env }), up);
  let replica: InProcessServe;
  beforeAll(async () => {
    if (!up) return;
    expect(rt.serve.runtime.sessions.kind).toBe(store);
    replica = await serveInProcess(rt.project, env);
  });
  afterAll(() => replica?.stop());

  /** Send texts to one session at once; check nothing was lost and the log is whole. */
  async function race(texts: string[], via: (i: number) => FlowClient = () => rt.client) {
    const id = (await rt.client.start('notes')).body.session as string;
    const answers = await Promise.all(texts.map((t, i) => via(i).send(id, t)));
    for (const a of answers) expect([200, 409], JSON.stringify(a.body)).toContain(a.status);
    const landed = texts.filter((_, i) => answers[i]!.status === 200);
    for (const a of answers.filter((x) => x.status === 409)) expect(a.body.error.code).toBe('session_busy');
    const shown = (await rt.client.get(id)).body;
    expect(shown.turns).toBe(landed.length);
    const said = shown.transcript.filter((m: { role: string }) => m.role === 'user').map((m: { text: string }) => m.text);
    expect([...said].sort()).toEqual([...landed].sort());
    // Each accepted turn saw the one before it: its answer's slot is its own text.
    for (const [i, a] of answers.entries()) if (a.status === 200) expect(a.body.slots.note).toBe(texts[i]);
    const rows = await stepRows(rt.project, id);
    expect(rows.map((r) => r.seq)).toEqual([...rows.keys()]);
    expect(rows.filter((r) => r.type === 'user')).toHaveLength(landed.length);
    expect(rows.filter((r) => r.type === 'user').map((r) => r.turn)).toEqual(landed.map((_, i) => i + 1));
    return { landed, answers };
  }

  it.skipIf(!up)('two at once to one replica: both land, one after the other; turns counts both', async () => {
    for (let round = 0; round < 5; round++) {
      const { landed } = await race([`a${round}`, `b${round}`]);
      expect(landed).toHaveLength(2);
    }
  });

  it.skipIf(!up)('ten at once to a collect loop: every one lands, none is lost or doubled', async () => {
    const { landed } = await race(Array.from({ length: 10 }, (_, i) => `note ${i}`));
    expect(landed).toHaveLength(10);
  });

  it.skipIf(!up)('two at once through two replicas on one store: the write that lost is redone on the new state, both land', async () => {
    const other = new FlowClient(replica.url);
    for (let round = 0; round < 5; round++) {
      const { landed } = await race([`x${round}`, `y${round}`], (i) => (i === 0 ? rt.client : other));
      expect(landed).toHaveLength(2);
    }
  });
});

const CONFIRM = 'Your refund for order {{order_id}} is approved. You will see it within 5 days.';
const CONFIRM_V2 = 'Approved: order {{order_id}} is refunded within 5 days.';
const PROMPT_LINE = 'content: "Order {{order_id}}, reason: {{reason}}."';
const PROMPT_LINE_V2 = 'content: "Refund asked for order {{order_id}} because {{reason}}."';

describe.skipIf(!pgUp)('version pinning across an apply', () => {
  const rt = useFlowRuntime(() => ({}));

  const current = async (table: 'flows' | 'prompts', name: string) => (await rt.project.sql<{ v: string }>(`SELECT current_version AS v FROM labctl.${table} WHERE name = $1`, [name]))[0]!.v;

  /** Edit a sample file, apply, and make the runtime serve the new state. */
  async function edit(rel: string, from: string, to: string) {
    const text = SAMPLE_FILES[rel]!;
    expect(text).toContain(from);
    rt.project.write(rel, text.replace(from, to));
    await rt.project.apply();
    await rt.serve.reload();
  }

  it('a session started before a flow edit keeps its version and texts; a new one gets the edit', async () => {
    const v1 = await current('flows', 'refund-request');
    const old = (await rt.client.start('refund-request')).body.session as string;
    await rt.client.send(old, '12345678');

    await edit('flows/refund-request.yaml', CONFIRM, CONFIRM_V2);
    const v2 = await current('flows', 'refund-request');
    expect(v2).not.toBe(v1);

    const fresh = await rt.client.start('refund-request');
    expect(fresh.body.version).toBe(v2);
    await rt.client.send(fresh.body.session, '22223333');
    const newDone = await rt.client.send(fresh.body.session, 'damaged');
    expect(newDone.body).toMatchObject({ version: v2, state: 'ended', messages: [{ text: 'Approved: order 22223333 is refunded within 5 days.' }] });

    const oldDone = await rt.client.send(old, 'damaged');
    expect(oldDone.body).toMatchObject({ version: v1, state: 'ended', messages: [{ text: 'Your refund for order 12345678 is approved. You will see it within 5 days.' }] });
    const shown = (await rt.client.get(old)).body;
    expect(shown).toMatchObject({ version: v1, root: { version: v1 } });
    expect(new Set(shown.events.map((e: { flowVersion: string }) => e.flowVersion))).toEqual(new Set([v1]));
    expect(new Set((await stepRows(rt.project, fresh.body.session)).map((r) => r.flow_version))).toEqual(new Set([v2]));
  });

  it('a session keeps the prompt version it started with: the model is asked the old text', async () => {
    const p1 = await current('prompts', 'refund-decision');
    const old = (await rt.client.start('refund-request')).body.session as string;
    await rt.client.send(old, '12345678');

    await edit('prompts/refund-decision.yaml', PROMPT_LINE, PROMPT_LINE_V2);
    const p2 = await current('prompts', 'refund-decision');
    expect(p2).not.toBe(p1);

    // The scripted fixtures approve "reason: damaged": only the old prompt text says that.
    const oldDone = await rt.client.send(old, 'damaged');
    expect(oldDone.body).toMatchObject({ state: 'ended', step: 'confirm', slots: { approved: true } });
    const fresh = (await rt.client.start('refund-request')).body.session as string;
    await rt.client.send(fresh, '12345678');
    const newDone = await rt.client.send(fresh, 'damaged');
    expect(newDone.body).toMatchObject({ state: 'handoff', step: 'escalate', slots: { approved: false } });

    const llmCall = async (id: string) => (await rt.client.get(id)).body.events.find((e: { type: string }) => e.type === 'llm_call');
    const oldCall = await llmCall(old);
    expect(oldCall.input.prompt).toEqual({ name: 'refund-decision', version: p1 });
    expect(oldCall.request.messages).toEqual([{ role: 'user', text: 'Order 12345678, reason: damaged.' }]);
    const newCall = await llmCall(fresh);
    expect(newCall.input.prompt).toEqual({ name: 'refund-decision', version: p2 });
    expect(newCall.request.messages).toEqual([{ role: 'user', text: 'Refund asked for order 12345678 because damaged.' }]);
    expect((await rt.client.get(old)).body.pins.prompts).toEqual({ 'refund-decision': p1 });
  });
});
