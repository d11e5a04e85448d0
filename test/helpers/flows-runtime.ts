// A flow project for the runtime's integration tests: a temporary directory with the refund-request
// sample (flow, prompt, scripted fixtures) and whatever a test adds, its own fresh PostgreSQL
// database, applied with the CLI; `labctl serve` run in-process (startRuntime, the wiring serve
// uses) or spawned; and a small HTTP client for the flow routes (JSON and server-sent events).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { openDatabase, type Database } from '../../adapters/db/index.js';
import { startRuntime, type Runtime } from '../../cli/commands/serve.js';
import { llmProviders } from '../../adapters/llm/index.js';
import { DatabaseSessionStore } from '../../adapters/sessions/index.js';
import { LiveSnapshot } from '../../runtime/live/live.js';
import { RuntimeServer } from '../../runtime/server/server.js';
import { FlowRuntime, flowRoutes, StepLog } from '../../runtime/flows/index.js';
import { currentProcess } from '../../cli/host.js';
import { cli } from './cli.js';
import { repoFile } from './flows.js';
import { createTestDatabase } from './postgres.js';

/** The sample the runtime is tested on, as shipped in the repository. */
export const SAMPLE_FILES: Readonly<Record<string, string>> = {
  'flows/refund-request.yaml': repoFile('flows/refund-request.yaml'),
  'prompts/refund-decision.yaml': repoFile('prompts/refund-decision.yaml'),
  'fixtures/refund-decision.yaml': repoFile('fixtures/refund-decision.yaml'),
};

export interface FlowProject {
  dir: string;
  databaseUrl: string;
  /** The CLI's environment for this project (DATABASE_URL). */
  env: Record<string, string>;
  write(rel: string, text: string): void;
  /** `labctl apply` in-process; fails the test with the output unless it exits 0. */
  apply(): Promise<string>;
  sql<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  dispose(): Promise<void>;
}

/** A project directory with the sample (unless samples is false) and files, on a fresh database. */
export async function flowProject(files: Record<string, string> = {}, opts: { samples?: boolean } = {}): Promise<FlowProject> {
  const dir = mkdtempSync(join(tmpdir(), 'labctl-flows-'));
  const db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  // Dropping the database (WITH FORCE) ends connections still closing; that is expected here.
  pool.on('error', () => undefined);
  const env = { DATABASE_URL: db.url };
  const project: FlowProject = {
    dir,
    databaseUrl: db.url,
    env,
    write(rel, text) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), text);
    },
    async apply() {
      const r = await cli(['apply'], { cwd: dir, env });
      if (r.code !== 0) throw new Error(`labctl apply exited ${r.code}:\n${r.stderr}${r.stdout}`);
      return r.stdout;
    },
    async sql<R>(text: string, params: unknown[] = []) {
      return (await pool.query(text, params)).rows as R[];
    },
    async dispose() {
      await pool.end();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  for (const [rel, text] of Object.entries({ ...(opts.samples === false ? {} : SAMPLE_FILES), ...files })) project.write(rel, text);
  return project;
}

/** `labctl serve` in this process, on an ephemeral port. */
export interface InProcessServe {
  url: string;
  runtime: Runtime;
  /** What serve wrote to stderr. */
  log(): string;
  /** Reload the applied state now (after an apply), instead of waiting for NOTIFY. */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** Start the runtime as `labctl serve` does, in the project directory, with extra environment (providers, REDIS_URL). */
export async function serveInProcess(project: FlowProject, env: Record<string, string | undefined> = {}): Promise<InProcessServe> {
  const stderr = new Capture();
  const io = { stdout: new Capture(), stderr, env: { ...project.env, ...env } as NodeJS.ProcessEnv, cwd: project.dir };
  const db: Database = await openDatabase({ databaseUrl: project.databaseUrl, cwd: project.dir, applicationName: 'labctl serve', host: currentProcess() });
  const runtime = await startRuntime(io, db, 0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${runtime.port}`,
    runtime,
    log: () => stderr.text,
    reload: () => runtime.live.reload(),
    async stop() {
      await runtime.stop();
      await db.close();
    },
  };
}

/** What a describe block serves: its files (the sample unless samples is false), and serve's extra environment. */
export interface FlowRuntimeSetup {
  files?: Record<string, string>;
  samples?: boolean;
  env?: Record<string, string | undefined>;
}

/** A project applied and served in-process for one describe block (filled in by its beforeAll). */
export interface UsedFlowRuntime {
  project: FlowProject;
  serve: InProcessServe;
  client: FlowClient;
}

/**
 * Hooks that build, apply and serve a project for the enclosing describe block, and tear it down;
 * setup runs inside beforeAll, after the hooks registered before this call (servers it points at).
 */
export function useFlowRuntime(setup: () => FlowRuntimeSetup, when = true): UsedFlowRuntime {
  const rt = {} as UsedFlowRuntime;
  beforeAll(async () => {
    if (!when) return;
    const s = setup();
    rt.project = await flowProject(s.files ?? {}, { samples: s.samples });
    await rt.project.apply();
    rt.serve = await serveInProcess(rt.project, s.env);
    rt.client = new FlowClient(rt.serve.url);
  });
  afterAll(async () => {
    await rt.serve?.stop();
    await rt.project?.dispose();
  });
  return rt;
}

/**
 * Only the flow routes, composed by hand as serve composes them, for settings serve does not
 * expose (the turn deadline); sessions in the database, providers from env.
 */
export async function serveFlowRoutes(project: FlowProject, opts: { env: Record<string, string>; turnTimeoutMs: number }): Promise<{ client: FlowClient; stop(): Promise<void> }> {
  const db = await openDatabase({ databaseUrl: project.databaseUrl, cwd: project.dir, host: currentProcess() });
  const live = await LiveSnapshot.open({ db });
  const flows = new FlowRuntime({ source: live, store: new DatabaseSessionStore(db), log: new StepLog(db), providers: llmProviders(opts.env), turnTimeoutMs: opts.turnTimeoutMs });
  const server = new RuntimeServer({ source: live, routes: flowRoutes(flows) });
  const port = await server.listen(0, '127.0.0.1');
  return {
    client: new FlowClient(`http://127.0.0.1:${port}`),
    async stop() {
      await server.shutdown();
      await live.close();
      await db.close();
    },
  };
}

/** An HTTP answer: status, JSON body (or text when it is not JSON), headers. */
export interface HttpAnswer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** One server-sent event. */
export interface SseEvent {
  event: string;
  data: any;
}

async function request(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const init: RequestInit = { method, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  return fetch(url, init);
}

async function json(res: Response): Promise<HttpAnswer> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Left as text: the assertion shows it.
  }
  return { status: res.status, body, headers: res.headers };
}

/** Parse a text/event-stream body into its events, in order. */
export function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
      const data = lines
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      return { event, data: JSON.parse(data) };
    });
}

/** The flow routes of a runtime at base. */
export class FlowClient {
  constructor(readonly base: string) {}

  /** POST /v1/flows/{flow}/sessions. */
  async start(flow: string, body: unknown = {}): Promise<HttpAnswer> {
    return json(await request('POST', `${this.base}/v1/flows/${encodeURIComponent(flow)}/sessions`, body));
  }

  /** POST /v1/sessions/{id}/messages with {"text"}. */
  async send(session: string, text: string): Promise<HttpAnswer> {
    return this.post(`/v1/sessions/${encodeURIComponent(session)}/messages`, { text });
  }

  /** GET /v1/sessions/{id}. */
  async get(session: string): Promise<HttpAnswer> {
    return json(await request('GET', `${this.base}/v1/sessions/${encodeURIComponent(session)}`));
  }

  /** Any POST with a JSON (or raw string) body. */
  async post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    return json(await request('POST', `${this.base}${path}`, body, headers));
  }

  /** A message with Accept: text/event-stream: the status, content type and the events. */
  async stream(session: string, text: string): Promise<{ status: number; type: string | null; events: SseEvent[]; raw: string }> {
    const res = await request('POST', `${this.base}/v1/sessions/${encodeURIComponent(session)}/messages`, { text }, { accept: 'text/event-stream' });
    const raw = await res.text();
    const type = res.headers.get('content-type');
    return { status: res.status, type, raw, events: type?.startsWith('text/event-stream') ? parseSse(raw) : [] };
  }

  /** The Prometheus text of /metrics. */
  async metrics(): Promise<string> {
    return (await fetch(`${this.base}/metrics`)).text();
  }
}

/** A counter's value in Prometheus text, by metric name and exact labels (0 when absent). */
export function metricValue(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const m = /^[^{]+\{([^}]*)\}\s+(\S+)$/.exec(line);
    if (!m) continue;
    const got = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.keys(labels).length === Object.keys(got).length && Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[2]);
  }
  return 0;
}

/** The step log of a session as stored in labctl.flow_steps, in seq order. */
export function stepRows(project: FlowProject, session: string): Promise<Array<{ seq: number; type: string; step: string; turn: number; flow_version: string; error: any; provider: string | null }>> {
  return project.sql('SELECT seq, type, step, turn, flow_version, error, provider FROM labctl.flow_steps WHERE session = $1 ORDER BY seq', [session]);
}
