// A session run again from its step log calls no model and comes out as recorded: the flow and
// prompt versions it pinned, the model's answers from the log, failed attempts left out. Real
// PostgreSQL for the log and the sessions, the real Anthropic SDK against the wire server.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase, type Database } from '../../adapters/db/index.js';
import { llmProviders } from '../../adapters/llm/index.js';
import { DatabaseSessionStore } from '../../adapters/sessions/index.js';
import { currentProcess } from '../../cli/host.js';
import { HttpError } from '../../core/http.js';
import { snapshotFromDir } from '../../reconciler/load/snapshot.js';
import { flowCatalog, FlowRuntime, replaySession, StepLog } from '../../runtime/flows/index.js';
import { sessionDetail } from '../../runtime/flows/detail.js';
import { LlmWireServer, reply } from '../helpers/llm-wire-server.js';
import { createTestDatabase, requirePostgres } from '../helpers/postgres.js';
import { staticSource } from '../helpers/runtime.js';

const PG = await requirePostgres();

const FILES: Record<string, string> = {
  'flows/greet.yaml': `kind: Flow
name: greet
slots:
  name: { type: string }
  mood: { type: enum, values: [good, bad] }
steps:
  - { id: ask-name, collect: name, say: "What is your name?" }
  - { id: welcome, say: { prompt: welcome } }
  - { id: ask-mood, collect: mood, say: "How are you today, {{name}}: good or bad?" }
  - { id: bye, say: "Take care, {{name}}.", next: end }
`,
  'prompts/welcome.yaml': `kind: Prompt
name: welcome
messages:
  - { role: system, content: "You greet people in one sentence." }
  - { role: user, content: "Greet {{name}}." }
variables:
  name: { type: string }
model: { provider: anthropic, name: claude-test, maxTokens: 60, price: { input: 3, output: 15 } }
`,
  'flows/rate.yaml': `kind: Flow
name: rate
slots:
  text: { type: string }
  score: { type: integer }
steps:
  - { id: ask, collect: text, say: "Tell me." }
  - id: score
    llm: { prompt: scorer, output: { score: integer } }
    onError: sorry
    next: thanks
  - { id: thanks, say: "Score {{score}}.", next: end }
  - { id: sorry, say: "I could not score that.", next: end }
`,
  'prompts/scorer.yaml': `kind: Prompt
name: scorer
messages:
  - { role: user, content: "Score this from 1 to 5: {{text}}" }
variables:
  text: { type: string }
model: { provider: anthropic, name: claude-test, maxTokens: 20 }
`,
};

describe.skipIf(!PG)('replaying a session from its step log', () => {
  let dir: string;
  let db: Database;
  let drop: () => Promise<void>;
  let wire: LlmWireServer;
  let runtime: FlowRuntime;
  let source: ReturnType<typeof staticSource>;
  let log: StepLog;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'labctl-replay-'));
    for (const [p, text] of Object.entries(FILES)) {
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), text);
    }
    const t = await createTestDatabase();
    drop = t.drop;
    db = await openDatabase({ databaseUrl: t.url, cwd: dir, host: currentProcess() });
    await migrate(db);
    wire = await LlmWireServer.start();
    source = staticSource(await snapshotFromDir(dir));
    log = new StepLog(db);
    const providers = llmProviders({ ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: wire.anthropicUrl }, { maxRetries: 0 });
    runtime = new FlowRuntime({ source, store: new DatabaseSessionStore(db), log, providers });
  });
  afterAll(async () => {
    await wire?.close();
    await db?.close();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the recorded transcript, slots and state without a single model call', async () => {
    const started = await runtime.start('greet', {});
    const id = started.session;
    // The first try of the name turn fails at the model: the session stays, the attempt is logged.
    wire.enqueue(reply.error(500, { 'x-should-retry': 'false' }, 'upstream broke'));
    await expect(runtime.message(id, 'Ada')).rejects.toMatchObject({ status: 502, code: 'llm_provider_error' });
    wire.enqueue(reply.text('Hello Ada, lovely to meet you!'));
    const named = await runtime.message(id, 'Ada');
    expect(named.messages.map((m) => m.text)).toEqual(['Hello Ada, lovely to meet you!', 'How are you today, Ada: good or bad?']);
    await runtime.message(id, 'meh');
    await runtime.message(id, 'good');
    const { record, events } = await runtime.get(id);
    expect(record.session.status).toBe('ended');
    expect(events.map((e) => e.type)).toContain('turn_failed');
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    // The cost, from the price the prompt version declares: only the call that answered counts.
    const [call] = events.filter((e) => e.type === 'llm_call');
    expect(call!.inputTokens).toBeGreaterThan(0);
    expect(sessionDetail(id, record, events).cost).toEqual({ usd: Math.round(((call!.inputTokens! * 3 + call!.outputTokens! * 15) / 1e6) * 1e6) / 1e6, unpriced: 0 });

    const calls = wire.requests.length;
    const replay = replaySession(flowCatalog(source.current), await log.read(id));
    expect(wire.requests.length).toBe(calls);
    expect(replay.messages).toBe(3);
    expect(replay.transcript).toEqual(record.session.transcript);
    expect(replay.state.slots).toEqual(record.session.slots);
    expect(replay.state.status).toBe('ended');
  });

  it('a model answer that does not fit the output takes the step onError, and replays so', async () => {
    const { session: id } = await runtime.start('rate', {});
    wire.enqueue(reply.tool({ score: 'high' }));
    const a = await runtime.message(id, 'great service');
    expect(a.messages.map((m) => m.text)).toEqual(['I could not score that.']);
    expect(a.state).toBe('ended');
    const rows = await log.read(id);
    expect(rows.find((r) => r.type === 'llm_call')).toMatchObject({ error: { code: 'invalid_output' } });
    const { record } = await runtime.get(id);
    expect(replaySession(flowCatalog(source.current), rows).transcript).toEqual(record.session.transcript);
  });

  it('refuses a log whose model answer is missing, naming the effect', async () => {
    const { session: id } = await runtime.start('greet', {});
    wire.enqueue(reply.text('Hi Bo.'));
    await runtime.message(id, 'Bo');
    const rows = (await log.read(id)).filter((r) => r.type !== 'llm_call');
    expect(() => replaySession(flowCatalog(source.current), rows)).toThrow(/effect e1 \(llm at step welcome\) has no recorded answer/);
  });

  it('a start that fails at the model creates no session', async () => {
    // A flow that speaks through the model first cannot start while the model is down.
    writeFileSync(join(dir, 'flows/greet-first.yaml'), FILES['flows/greet.yaml']!.replace('name: greet', 'name: greet-first').replace(/ {2}- \{ id: ask-name[^\n]*\n/, '').replace('slots:\n', 'slots:\n'));
    source.current = await snapshotFromDir(dir);
    wire.enqueue(reply.error(500, { 'x-should-retry': 'false' }));
    const err = await runtime.start('greet-first', { slots: { name: 'Cy' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).message).toMatch(/no session was started/);
    const [{ n }] = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM labctl.flow_sessions WHERE flow = $1', ['greet-first']);
    expect(n).toBe('0');
  });
});
