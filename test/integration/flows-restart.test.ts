// `labctl serve` restarted mid-conversation, as spawned processes (the built CLI), with sessions in
// the database and in Redis: the conversation continues where it was after a graceful stop and
// after a kill, and the step log holds every row exactly once — including rows whose flush failed
// (the step-log table unreachable) and that rode in the session until a later turn wrote them.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { assertFreshBuild } from '../helpers/build.js';
import { FlowClient, flowProject, SAMPLE_FILES, type FlowProject } from '../helpers/flows-runtime.js';
import { LlmWireServer, reply } from '../helpers/llm-wire-server.js';
import { requirePostgres } from '../helpers/postgres.js';
import { REDIS_URL, redisClient, requireRedis } from '../helpers/redis.js';
import { spawnServe, type ServeProcess } from '../helpers/serve.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const pgUp = await requirePostgres();
const redisUp = await requireRedis();

// A graceful stop on one store and a kill on the other: each process start costs seconds.
const STORES = [
  { store: 'database', signal: 'SIGTERM' as const, env: {} as Record<string, string>, up: pgUp },
  { store: 'redis', signal: 'SIGKILL' as const, env: { REDIS_URL } as Record<string, string>, up: pgUp && redisUp },
];

describe.each(STORES)('a conversation across a restart of labctl serve ($store store, $signal)', ({ store, signal, env, up }) => {
  let project: FlowProject;
  let serve: ServeProcess | undefined;
  beforeAll(async () => {
    if (!up) return;
    assertFreshBuild();
    project = await flowProject();
    await project.apply();
  });
  afterAll(async () => {
    await serve?.stop('SIGKILL');
    await project?.dispose();
  });

  async function restart(signal: NodeJS.Signals | null): Promise<FlowClient> {
    if (serve && signal) {
      const exit = await serve.stop(signal);
      if (signal === 'SIGTERM') expect(exit.code, serve.stderr()).toBe(0);
    }
    serve = await spawnServe({ cwd: project.dir, env: { ...project.env, ...env } });
    return new FlowClient(serve.url);
  }

  /** The log in the database: seq 0..n-1 with no gap and no repeat, and what GET shows. */
  async function wholeLog(client: FlowClient, id: string) {
    const stats = await project.sql<{ n: number; distinct: number; max: number }>(`SELECT count(*)::int AS n, count(DISTINCT seq)::int AS distinct, max(seq) AS max FROM labctl.flow_steps WHERE session = $1`, [id]);
    expect(stats[0]!.distinct).toBe(stats[0]!.n);
    expect(stats[0]!.max).toBe(stats[0]!.n - 1);
    const shown = (await client.get(id)).body;
    expect(shown.events.map((e: { seq: number }) => e.seq)).toEqual([...Array(stats[0]!.n).keys()]);
    return shown;
  }

  it.skipIf(!up)('the conversation goes on where it was; each log row is there once, rows of a turn whose log write failed too', async () => {
    let client = await restart(null);
    const start = await client.start('refund-request', { attributes: { user_id: 'u1' } });
    expect(start.status).toBe(201);
    const id = start.body.session as string;
    expect((await client.send(id, '12345678')).body.step).toBe('ask-reason');

    // The step-log table goes away for one turn: the turn still answers, its rows stay in the session.
    await project.sql('ALTER TABLE labctl.flow_steps RENAME TO flow_steps_away');
    let outage;
    try {
      outage = await client.send(id, 'no idea');
    } finally {
      await project.sql('ALTER TABLE labctl.flow_steps_away RENAME TO flow_steps');
    }
    expect(outage.status, JSON.stringify(outage.body)).toBe(200);
    expect(outage.body.step).toBe('ask-reason');
    const [{ n: before }] = await project.sql<{ n: number }>('SELECT count(*)::int AS n FROM labctl.flow_steps WHERE session = $1', [id]);

    client = await restart(signal);
    const after = (await client.get(id)).body;
    expect(after).toMatchObject({ state: 'awaiting_input', step: 'ask-reason', slots: { order_id: '12345678' }, turns: 2 });
    expect(after.transcript.map((m: { text: string }) => m.text).slice(-2)).toEqual(['no idea', outage.body.messages[0].text]);
    const done = await client.send(id, 'damaged');
    expect(done.body).toMatchObject({ state: 'ended', step: 'confirm', slots: { order_id: '12345678', reason: 'damaged', approved: true } });
    const shown = await wholeLog(client, id);
    // Only the rows before the outage were written at the time; the outage turn's came later.
    expect(shown.events.filter((e: { turn: number }) => e.turn <= 1)).toHaveLength(before);
    // Turn by turn: the user rows and the three texts, each once.
    expect(shown.events.filter((e: { type: string }) => e.type === 'user').map((e: { input: string; turn: number }) => [e.turn, e.input])).toEqual([
      [1, '12345678'],
      [2, 'no idea'],
      [3, 'damaged'],
    ]);
    expect(shown.turns).toBe(3);
    expect(shown.events.filter((e: { type: string }) => e.type === 'start')).toHaveLength(1);
    expect(shown.events.filter((e: { type: string }) => e.type === 'llm_call')).toHaveLength(1);

    if (store === 'redis') {
      const redis = await redisClient();
      try {
        const ttl = await redis.pTTL(`labctl:session:${id}`);
        // The sample's session ttl is 30m, refreshed by the last write.
        expect(ttl).toBeGreaterThan(29 * 60_000);
        expect(ttl).toBeLessThanOrEqual(30 * 60_000);
      } finally {
        await redis.close();
      }
      expect(await project.sql('SELECT id FROM labctl.flow_sessions WHERE id = $1', [id])).toEqual([]);
    } else {
      expect(await project.sql('SELECT version::int AS version FROM labctl.flow_sessions WHERE id = $1', [id])).toEqual([{ version: 4 }]);
    }
  });
});

describe.skipIf(!pgUp)('SIGTERM while a turn waits for the model', () => {
  it('the turn finishes and is answered, its write and log rows land, then serve exits 0', async () => {
    assertFreshBuild();
    const wire = await LlmWireServer.start();
    const prompt = SAMPLE_FILES['prompts/refund-decision.yaml']!.replace('provider: scripted', 'provider: anthropic');
    const project = await flowProject({ 'prompts/refund-decision.yaml': prompt });
    let serve: ServeProcess | undefined;
    try {
      await project.apply();
      serve = await spawnServe({ cwd: project.dir, env: { ...project.env, ANTHROPIC_API_KEY: 'sk-ant-wire', ANTHROPIC_BASE_URL: wire.anthropicUrl } });
      const client = new FlowClient(serve.url);
      const id = (await client.start('refund-request')).body.session as string;
      await client.send(id, '12345678');
      wire.enqueue(reply.slow(1500, reply.tool({ approved: true })));
      const pending = client.send(id, 'damaged');
      while (wire.requests.length === 0) await new Promise((r) => setTimeout(r, 20));
      const exited = serve.stop('SIGTERM');
      const answer = await pending;
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ state: 'ended', step: 'confirm', slots: { approved: true } });
      expect((await exited).code, serve.stderr()).toBe(0);
      const [row] = await project.sql<{ state: { session: { status: string; turns: number } } }>('SELECT state FROM labctl.flow_sessions WHERE id = $1', [id]);
      expect(row!.state.session).toMatchObject({ status: 'ended', turns: 2 });
      const types = (await project.sql<{ seq: number; type: string }>('SELECT seq, type FROM labctl.flow_steps WHERE session = $1 ORDER BY seq', [id])).map((r) => r.type);
      expect(types.filter((t) => t === 'llm_call')).toHaveLength(1);
      expect(types.at(-1)).toBe('say');
    } finally {
      await serve?.stop('SIGKILL');
      await project.dispose();
      await wire.close();
    }
  });
});
