// Prompts over HTTP on a spawned `labctl serve`, on PGlite and PostgreSQL: the prompt and version
// routes, text and chat rendering, experiment-driven rendering (the variant's prompt, overrides,
// pinned NAME@prefix references), 422 naming the variable, 400 for bad fields, exposures, and the
// `labctl/client` package (its prompt cache follows the applied revision).
// Needs the built CLI (`npx tsc -p .`).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { assertFreshBuild } from '../helpers/build.js';
import { createWorkspace, engines, waitFor, type Workspace } from '../helpers/engines.js';
import { addPromptSamples, PROMPT_SAMPLES, promptVersionIn } from '../helpers/prompts.js';
import { spawnServe, type ServeProcess } from '../helpers/serve.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 240_000 });

const ENGINES = await engines();

// The client as applications import it: the package's `labctl/client` export (the built module).
const CLIENT: string = 'labctl/client';
const { LabctlClient, LabctlError } = (await import(CLIENT)) as typeof import('../../runtime/client/index.js');
type LabctlError = InstanceType<typeof LabctlError>;

const GREETING = (first: string) =>
  [
    'kind: Prompt',
    'name: greeting',
    'description: Greets a customer',
    'tags: [onboarding]',
    'template: |',
    `  ${first} {{name}}! You have {{count}} new messages.`,
    '  VIP: {{vip}}. Context: {{ context }}. \\{{not a placeholder}}',
    'variables:',
    '  name: { type: string }',
    '  count: { type: number, default: 0 }',
    '  vip: { type: boolean, default: false }',
    '  context: { type: json, required: false }',
    'model: { provider: openai, name: gpt-4.1-mini, maxTokens: 100 }',
    '',
  ].join('\n');

const THOROUGH_V1 = 'Be friendly and thorough.';
const THOROUGH_V2 = 'Be friendly, warm and thorough.';
const system = (product: string, how: string, language = 'English') =>
  `You are the support assistant of ${product}. ${how}\nAnswer in ${language}. If you are not sure, say so and offer to hand over to a human.\n`;
const concise = (product: string, language = 'English') =>
  `You are the support assistant of ${product}. Reply in at most three sentences, in ${language},\nand end with exactly one concrete next step for the customer.\n`;

const PINNED = (oldPrefix: string) =>
  [
    'kind: Experiment',
    'name: support-pinned',
    'owner: support',
    'status: running',
    'unit: user_id',
    'variants:',
    '  - key: old',
    '    weight: 1',
    `    value: { prompt: "support-assistant@${oldPrefix}" }`,
    '  - key: current',
    '    weight: 1',
    '    value: { prompt: support-assistant }',
    '  - key: plain',
    '    weight: 1',
    '    value: { note: no prompt here }',
    'overrides: { pin-old: old, pin-new: current, pin-plain: plain }',
    '',
  ].join('\n');

interface Answer {
  status: number;
  revision: string | null;
  body: any;
}

describe.each(ENGINES)('prompts over HTTP ($name)', ({ name: engine, available }) => {
  if (!available) {
    // engines() only reports PostgreSQL unavailable outside CI; in CI a missing server fails there.
    it('has no PostgreSQL server to test against (outside CI only)', () => expect(process.env.CI).not.toBe('true'));
    return;
  }
  let ws: Workspace;
  let serve: ServeProcess;
  /** Content versions: greeting, and support-assistant before and after its edit. */
  let G1: string;
  let SA1: string;
  let SA2: string;
  let CONCISE: string;

  const call = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer> => {
    const res = await fetch(`${serve.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(text).not.toMatch(/\n\s+at /);
    return { status: res.status, revision: res.headers.get('x-labctl-revision'), body: JSON.parse(text) };
  };
  const render = (prompt: string, body: unknown) => call('POST', `/v1/prompts/${prompt}/render`, body);
  const assignOf = async (experiment: string, userId: string) => (await call('POST', '/v1/assign', { attributes: { user_id: userId }, experiments: [experiment], log: false })).body.assignments[experiment];

  async function apply(): Promise<void> {
    const r = await ws.cli(['apply']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
  }

  /** PGlite is one process's database: stop the server around work that opens it. */
  async function withServerStopped<T>(fn: () => Promise<T>): Promise<T> {
    await serve.stop();
    try {
      return await fn();
    } finally {
      serve = await spawnServe({ cwd: ws.dir, env: ws.env });
    }
  }

  /** labctl.exposures rows of units with a prefix, once the ones in `expect` are written. */
  async function exposures(prefix: string, expected: string[]): Promise<Array<{ experiment: string; unit: string; variant: string; revision: string }>> {
    const read = () => ws.sql<{ experiment: string; unit: string; variant: string; revision: string }>('SELECT experiment, unit, variant, revision FROM labctl.exposures WHERE unit LIKE $1 ORDER BY unit', [`${prefix}%`]);
    if (engine === 'pglite') return withServerStopped(read); // the server flushes its buffer on SIGTERM
    return waitFor(async () => {
      const rows = await read();
      return expected.every((u) => rows.some((r) => r.unit === u)) ? rows : undefined;
    }, `exposures of ${expected.length} ${prefix}* units`);
  }

  beforeAll(async () => {
    assertFreshBuild();
    ws = await createWorkspace(engine);
    addPromptSamples(ws);
    ws.write('prompts/greeting.yaml', GREETING('Hello'));
    const exp = readFileSync(`${ws.dir}/prompts/support-prompt.yaml`, 'utf8');
    const withOverrides = exp.replace('\nmetrics:', '\noverrides: { forced-concise: concise, forced-thorough: thorough }\nmetrics:');
    expect(withOverrides).not.toBe(exp);
    ws.write('prompts/support-prompt.yaml', withOverrides);
    await apply();
    G1 = await promptVersionIn(ws.dir, 'greeting');
    SA1 = await promptVersionIn(ws.dir, 'support-assistant');
    CONCISE = await promptVersionIn(ws.dir, 'support-assistant-concise');

    // support-assistant moves on; an experiment pins its first version by an 8-character prefix.
    const samples = readFileSync(`${PROMPT_SAMPLES}/support-assistant.yaml`, 'utf8');
    expect(samples).toContain(THOROUGH_V1);
    ws.write('prompts/support-assistant.yaml', samples.replace(THOROUGH_V1, THOROUGH_V2));
    ws.write('experiments/support-pinned.yaml', PINNED(SA1.slice(0, 8)));
    const validate = await ws.cli(['validate']);
    expect(validate.stdout + validate.stderr).toContain('pinned-prompt-version');
    await apply();
    SA2 = await promptVersionIn(ws.dir, 'support-assistant');
    expect(new Set([G1, SA1, SA2, CONCISE]).size).toBe(4);
    serve = await spawnServe({ cwd: ws.dir, env: ws.env });
  });
  afterAll(async () => {
    await serve?.stop('SIGKILL');
    await ws?.dispose();
  });

  it('GET /v1/prompts/{name}: the current version with its content, variables, model and metadata', async () => {
    const r = await call('GET', '/v1/prompts/greeting');
    expect(r.status).toBe(200);
    expect(r.revision).toMatch(/^[0-9a-f]{12}$/);
    expect(r.body).toStrictEqual({
      revision: r.revision,
      name: 'greeting',
      version: G1,
      type: 'text',
      template: 'Hello {{name}}! You have {{count}} new messages.\nVIP: {{vip}}. Context: {{ context }}. \\{{not a placeholder}}\n',
      variables: {
        name: { type: 'string', required: true },
        count: { type: 'number', required: false, default: 0 },
        vip: { type: 'boolean', required: false, default: false },
        context: { type: 'json', required: false },
      },
      model: { provider: 'openai', name: 'gpt-4.1-mini', maxTokens: 100 },
      tags: ['onboarding'],
      description: 'Greets a customer',
    });
    expect(Object.keys(r.body)).toEqual(['revision', 'name', 'version', 'type', 'template', 'variables', 'model', 'tags', 'description']);

    const chat = await call('GET', '/v1/prompts/support-assistant');
    expect(chat.status).toBe(200);
    expect(chat.body).toMatchObject({
      name: 'support-assistant',
      version: SA2,
      type: 'chat',
      messages: [
        { role: 'system', content: system('{{product}}', THOROUGH_V2, '{{language}}') },
        { role: 'user', content: '{{question}}' },
      ],
      model: { provider: 'anthropic', name: 'claude-sonnet-4-5', maxTokens: 800 },
      tags: ['support', 'baseline'],
    });
    expect(chat.body).not.toHaveProperty('template');

    const missing = await call('GET', '/v1/prompts/no-such-prompt');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'unknown_prompt', message: expect.stringContaining('no-such-prompt') });
    expect((await call('GET', '/v1/prompts/greeting/whatever')).status).toBe(404);
  });

  it('GET /v1/prompts/{name}/versions/{version}: by full hash and by a prefix of 6+ characters; 404 otherwise', async () => {
    const messagesOf = async (version: string) => {
      const r = await call('GET', `/v1/prompts/support-assistant/versions/${version}`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body;
    };
    const current = await messagesOf(SA2);
    expect(current).toMatchObject({ name: 'support-assistant', version: SA2, type: 'chat' });
    expect(current.messages[0].content).toContain(THOROUGH_V2);
    for (const ref of [SA1, SA1.slice(0, 6), SA1.slice(0, 7), SA1.slice(0, 12)]) {
      const old = await messagesOf(ref);
      expect(old.version).toBe(SA1);
      expect(old.messages[0].content).toBe(system('{{product}}', THOROUGH_V1, '{{language}}'));
      expect(old.model).toEqual(current.model);
    }
    expect((await messagesOf(SA2.slice(0, 6))).version).toBe(SA2);
    // The GET of the prompt is the same as its current version by hash.
    expect(await messagesOf(SA2)).toEqual((await call('GET', '/v1/prompts/support-assistant')).body);

    const notFound = async (path: string, code: string) => {
      const r = await call('GET', path);
      expect(r.status, path).toBe(404);
      expect(r.body.error.code, path).toBe(code);
      return r.body.error.message as string;
    };
    expect(await notFound(`/v1/prompts/support-assistant/versions/${SA1.slice(0, 5)}`, 'unknown_version')).toContain('at least 6 characters');
    const unknown = [...'0123456789abcdef'].map((c) => c.repeat(10)).find((v) => !SA1.startsWith(v.slice(0, 6)) && !SA2.startsWith(v.slice(0, 6)))!;
    await notFound(`/v1/prompts/support-assistant/versions/${unknown}`, 'unknown_version');
    await notFound(`/v1/prompts/support-assistant/versions/${SA1.slice(0, 8).toUpperCase()}`, 'unknown_version');
    // A version of another prompt is not a version of this one.
    await notFound(`/v1/prompts/support-assistant/versions/${G1}`, 'unknown_version');
    await notFound(`/v1/prompts/no-such-prompt/versions/${SA1}`, 'unknown_prompt');
  });

  it('POST /v1/prompts/{name}/render: text with typed variables and defaults, escapes applied, unicode intact', async () => {
    const r = await render('greeting', { variables: { name: 'Zoë 👋', count: 3, vip: true, context: { plan: 'pro', seats: 5, note: 'שלום {{name}}' } } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toStrictEqual({
      revision: r.revision,
      name: 'greeting',
      version: G1,
      type: 'text',
      text: 'Hello Zoë 👋! You have 3 new messages.\nVIP: true. Context: {"plan":"pro","seats":5,"note":"שלום {{name}}"}. {{not a placeholder}}\n',
      model: { provider: 'openai', name: 'gpt-4.1-mini', maxTokens: 100 },
    });
    expect(Object.keys(r.body)).toEqual(['revision', 'name', 'version', 'type', 'text', 'model']);
    const defaults = await render('greeting', { variables: { name: 'Ada' } });
    expect(defaults.body.text).toBe('Hello Ada! You have 0 new messages.\nVIP: false. Context: . {{not a placeholder}}\n');
    // A value that looks like a placeholder is not expanded.
    expect((await render('greeting', { variables: { name: '{{count}}', count: 9 } })).body.text).toMatch(/^Hello \{\{count\}\}! You have 9 new/);
  });

  it('POST /v1/prompts/{name}/render: chat renders every message', async () => {
    const r = await render('support-assistant', { variables: { product: 'Acme', question: 'Waar is mijn bestelling?', language: 'Nederlands' } });
    expect(r.status).toBe(200);
    expect(r.body).toStrictEqual({
      revision: r.revision,
      name: 'support-assistant',
      version: SA2,
      type: 'chat',
      messages: [
        { role: 'system', content: system('Acme', THOROUGH_V2, 'Nederlands') },
        { role: 'user', content: 'Waar is mijn bestelling?' },
      ],
      model: { provider: 'anthropic', name: 'claude-sonnet-4-5', maxTokens: 800 },
    });
  });

  it('experiment-driven render: the variant\'s prompt and the assignment; the same unit always gets the same prompt', async () => {
    const seen = new Map<string, string>();
    for (let i = 0; i < 40; i++) {
      const unit = `split-${i}`;
      const want = await assignOf('support-prompt', unit);
      const r = await render('support-assistant', { variables: { product: 'Acme', question: `q${i}` }, attributes: { user_id: unit }, experiment: 'support-prompt' });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.assignment).toStrictEqual({ experiment: 'support-prompt', variant: want.variant, inExperiment: want.inExperiment, reason: want.reason });
      const name = want.variant === 'concise' ? 'support-assistant-concise' : 'support-assistant';
      expect(r.body).toMatchObject({ name, version: name === 'support-assistant' ? SA2 : CONCISE, type: 'chat' });
      expect(r.body.messages[0].content).toBe(name === 'support-assistant' ? system('Acme', THOROUGH_V2) : concise('Acme'));
      expect(r.body.messages[1]).toEqual({ role: 'user', content: `q${i}` });
      expect(Object.keys(r.body)).toEqual(['revision', 'name', 'version', 'type', 'messages', 'model', 'assignment']);
      seen.set(unit, r.body.version);
      // The URL's prompt does not matter when the variant names one.
      const viaOther = await render('support-assistant-concise', { variables: { product: 'Acme', question: 'x' }, attributes: { user_id: unit }, experiment: 'support-prompt', log: false });
      expect(viaOther.body.version).toBe(r.body.version);
    }
    expect(new Set(seen.values())).toEqual(new Set([SA2, CONCISE]));
    for (const [unit, version] of seen) {
      const again = await render('support-assistant', { variables: { product: 'Acme', question: 'again' }, attributes: { user_id: unit }, experiment: 'support-prompt', log: false });
      expect(again.body.version).toBe(version);
    }
  });

  it('a unit forced by an override gets that variant\'s prompt; a variant without a prompt keeps the URL\'s', async () => {
    const vars = { variables: { product: 'Acme', question: 'hi', name: 'Ada' } };
    const forced = await render('support-assistant', { ...vars, attributes: { user_id: 'forced-concise' }, experiment: 'support-prompt' });
    expect(forced.body).toMatchObject({ name: 'support-assistant-concise', version: CONCISE, assignment: { variant: 'concise', inExperiment: false, reason: 'override' } });
    const thorough = await render('support-assistant-concise', { ...vars, attributes: { user_id: 'forced-thorough' }, experiment: 'support-prompt' });
    expect(thorough.body).toMatchObject({ name: 'support-assistant', version: SA2, assignment: { variant: 'thorough', reason: 'override' } });
    const plain = await render('greeting', { ...vars, attributes: { user_id: 'pin-plain' }, experiment: 'support-pinned' });
    expect(plain.body).toMatchObject({ name: 'greeting', version: G1, type: 'text', assignment: { experiment: 'support-pinned', variant: 'plain', reason: 'override' } });
    // Without the unit attribute: the control's prompt, not enrolled.
    const noUnit = await render('support-assistant-concise', { ...vars, experiment: 'support-prompt' });
    expect(noUnit.body).toMatchObject({ name: 'support-assistant', assignment: { variant: 'thorough', inExperiment: false, reason: 'missing_unit' } });
    const unknown = await render('support-assistant', { ...vars, attributes: { user_id: 'u1' }, experiment: 'no-such-experiment' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('unknown_experiment');
  });

  it('a pinned NAME@prefix reference renders that old version after the prompt moved on', async () => {
    const vars = { variables: { product: 'Acme', question: 'Where is my order?' } };
    const old = await render('support-assistant', { ...vars, attributes: { user_id: 'pin-old' }, experiment: 'support-pinned' });
    expect(old.status, JSON.stringify(old.body)).toBe(200);
    expect(old.body).toMatchObject({ name: 'support-assistant', version: SA1, assignment: { variant: 'old', reason: 'override' } });
    expect(old.body.messages).toEqual([
      { role: 'system', content: system('Acme', THOROUGH_V1) },
      { role: 'user', content: 'Where is my order?' },
    ]);
    const now = await render('support-assistant', { ...vars, attributes: { user_id: 'pin-new' }, experiment: 'support-pinned' });
    expect(now.body).toMatchObject({ version: SA2, assignment: { variant: 'current' } });
    expect(now.body.messages[0].content).toBe(system('Acme', THOROUGH_V2));
    // Split units land on each variant too, the pinned ones on the old version.
    let pinned = 0;
    for (let i = 0; i < 30; i++) {
      const r = await render('greeting', { variables: { ...vars.variables, name: 'n' }, attributes: { user_id: `pin-split-${i}` }, experiment: 'support-pinned', log: false });
      expect(r.status).toBe(200);
      const v = r.body.assignment.variant;
      expect(r.body.version).toBe(v === 'old' ? SA1 : v === 'current' ? SA2 : G1);
      if (v === 'old') pinned++;
    }
    expect(pinned).toBeGreaterThan(0);
  });

  it('422 names the variable: missing and wrong-type, also for the variant\'s prompt', async () => {
    const missing = await render('support-assistant', { variables: { product: 'Acme' } });
    expect(missing.status).toBe(422);
    expect(missing.body).toStrictEqual({ error: { code: 'missing_variable', message: 'variable "question" is required', variable: 'question' }, revision: missing.revision });
    const wrong = await render('greeting', { variables: { name: 'Ada', count: '3' } });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error).toStrictEqual({ code: 'invalid_variable', message: 'variable "count" must be a number, got a string', variable: 'count' });
    for (const [variables, variable] of [
      [{ name: 42 }, 'name'],
      [{ name: null }, 'name'],
      [{ name: 'Ada', vip: 'yes' }, 'vip'],
      [{ name: ['Ada'] }, 'name'],
    ] as const) {
      const r = await render('greeting', { variables });
      expect(r.status, JSON.stringify(variables)).toBe(422);
      expect(r.body.error).toMatchObject({ code: 'invalid_variable', variable });
    }
    const viaVariant = await render('greeting', { variables: { name: 'Ada', product: 'Acme' }, attributes: { user_id: 'forced-concise' }, experiment: 'support-prompt' });
    expect(viaVariant.status).toBe(422);
    expect(viaVariant.body.error).toMatchObject({ code: 'missing_variable', variable: 'question' });
  });

  it('400 for a body or fields of the wrong type; 405 for the wrong method', async () => {
    const cases: Array<[unknown, string]> = [
      [{ variables: [] }, 'invalid_field'],
      [{ variables: 'name=Ada' }, 'invalid_field'],
      [{ variables: null }, 'invalid_field'],
      [{ variables: {}, attributes: ['user_id'] }, 'invalid_field'],
      [{ variables: {}, attributes: 'u1' }, 'invalid_field'],
      [{ variables: {}, experiment: 5 }, 'invalid_field'],
      [{ variables: {}, experiment: ['support-prompt'] }, 'invalid_field'],
      [{ variables: {}, log: 'false' }, 'invalid_field'],
      [[], 'invalid_body'],
      ['"just a string"', 'invalid_body'],
      ['{"variables": {', 'invalid_json'],
    ];
    for (const [body, code] of cases) {
      const r = await render('greeting', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code, JSON.stringify(body)).toBe(code);
      expect(r.body.error.message).toEqual(expect.any(String));
    }
    const empty = await fetch(`${serve.url}/v1/prompts/greeting/render`, { method: 'POST' });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: { code: string } }).error.code).toBe('missing_body');
    // The prompt name is checked before the variables.
    expect((await render('no-such-prompt', { variables: {} })).body.error.code).toBe('unknown_prompt');
    expect((await call('GET', '/v1/prompts/greeting/render')).status).toBe(405);
    expect((await call('POST', '/v1/prompts/greeting', { variables: {} })).status).toBe(405);
  });

  it('exposures: one labctl.exposures row per enrolled unit with the assigned variant; none with log:false or for a failed render', async () => {
    const units = Array.from({ length: 40 }, (_, i) => `expo-${String(i).padStart(2, '0')}`);
    const quiet = Array.from({ length: 15 }, (_, i) => `expo-quiet-${i}`);
    const failed = Array.from({ length: 15 }, (_, i) => `expo-failed-${i}`);
    const revision = (await call('GET', '/v1/prompts/greeting')).revision;
    const want: Array<{ unit: string; variant: string }> = [];
    for (const u of units) {
      const a = await assignOf('support-prompt', u);
      if (a.inExperiment) want.push({ unit: u, variant: a.variant });
    }
    expect(want.length).toBeGreaterThan(30);
    const vars = { product: 'Acme', question: 'q' };
    for (const u of quiet) expect((await render('support-assistant', { variables: vars, attributes: { user_id: u }, experiment: 'support-prompt', log: false })).status).toBe(200);
    for (const u of failed) expect((await render('support-assistant', { variables: { product: 'Acme' }, attributes: { user_id: u }, experiment: 'support-prompt' })).status).toBe(422);
    for (const u of units) {
      // Asked twice: still one row.
      for (let k = 0; k < 2; k++) expect((await render('support-assistant', { variables: vars, attributes: { user_id: u }, experiment: 'support-prompt' })).status).toBe(200);
    }
    const rows = await exposures('expo-', want.map((w) => w.unit));
    expect(rows).toEqual(want.map((w) => ({ experiment: 'support-prompt', unit: w.unit, variant: w.variant, revision })));
  });

  it('labctl/client: renderPrompt, assign, errors as LabctlError, getPrompt cached until the revision changes', async () => {
    const requests: string[] = [];
    // The client talks to whichever server is current (PGlite restarts it around the apply below).
    const counting: typeof fetch = (input, init) => {
      const u = new URL(String(input));
      requests.push(`${init?.method ?? 'GET'} ${u.pathname}`);
      return fetch(`${serve.url}${u.pathname}${u.search}`, init);
    };
    const client = new LabctlClient({ baseUrl: 'http://labctl.example/', fetch: counting });
    const gets = () => requests.filter((r) => r === 'GET /v1/prompts/greeting').length;

    const text = await client.renderPrompt('greeting', { variables: { name: 'Ada', count: 2 } });
    expect(text).toMatchObject({ name: 'greeting', version: G1, type: 'text', text: expect.stringMatching(/^Hello Ada! You have 2 new messages\./) });
    const first = client.revision;
    expect(first).toBe(text.revision);
    const chat = await client.renderPrompt('support-assistant', { variables: { product: 'Acme', question: 'hi' }, attributes: { user_id: 'forced-concise' }, experiment: 'support-prompt', log: false });
    expect(chat).toMatchObject({ name: 'support-assistant-concise', type: 'chat', assignment: { variant: 'concise', reason: 'override' } });
    expect(await client.assign('support-prompt', { user_id: 'forced-thorough' }, { log: false })).toMatchObject({ variant: 'thorough', value: { prompt: 'support-assistant' }, reason: 'override' });
    expect(Object.keys(await client.assignAll({ user_id: 'u1' }, ['support-prompt', 'support-pinned']))).toEqual(['support-prompt', 'support-pinned']);

    const p1 = await client.getPrompt('greeting');
    expect(p1).toMatchObject({ name: 'greeting', version: G1, type: 'text' });
    expect(await client.getPrompt('greeting')).toBe(p1);
    await client.renderPrompt('greeting', { variables: { name: 'x' } });
    expect(await client.getPrompt('greeting')).toBe(p1);
    expect(gets()).toBe(1);

    const errorOf = async (p: Promise<unknown>): Promise<LabctlError> => {
      const e = await p.then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(LabctlError);
      return e as LabctlError;
    };
    const missing = await errorOf(client.renderPrompt('greeting', { variables: {} }));
    expect({ status: missing.status, code: missing.code, variable: missing.variable, message: missing.message }).toEqual({ status: 422, code: 'missing_variable', variable: 'name', message: 'variable "name" is required' });
    const wrong = await errorOf(client.renderPrompt('greeting', { variables: { name: 'Ada', vip: 1 } }));
    expect(wrong).toMatchObject({ status: 422, code: 'invalid_variable', variable: 'vip' });
    const unknown = await errorOf(client.getPrompt('no-such-prompt'));
    expect(unknown).toMatchObject({ status: 404, code: 'unknown_prompt', variable: undefined });
    expect(await errorOf(client.assign('no-such-experiment', { user_id: 'u1' }))).toMatchObject({ status: 404, code: 'unknown_experiment' });
    expect(await errorOf(client.renderPrompt('greeting', { variables: { name: 'x' }, experiment: 'no-such-experiment' }))).toMatchObject({ status: 404, code: 'unknown_experiment' });
    expect(gets()).toBe(1);

    // An apply moves the revision: the next answer carries it, and the prompt is fetched again.
    ws.write('prompts/greeting.yaml', GREETING('Good day'));
    const G2 = await promptVersionIn(ws.dir, 'greeting');
    if (engine === 'pglite') await withServerStopped(apply);
    else {
      await apply();
      await waitFor(async () => (await call('GET', '/v1/prompts/greeting')).body.version === G2, 'the server to serve the new greeting');
    }
    await client.assign('support-prompt', { user_id: 'u1' }, { log: false });
    expect(client.revision).not.toBe(first);
    const p2 = await client.getPrompt('greeting');
    expect(gets()).toBe(2);
    expect(p2).toMatchObject({ version: G2, revision: client.revision, template: expect.stringMatching(/^Good day \{\{name\}\}!/) });
    expect(await client.getPrompt('greeting')).toBe(p2);
    expect(gets()).toBe(2);
    expect((await client.renderPrompt('greeting', { variables: { name: 'Ada' } })).text).toMatch(/^Good day Ada!/);
  });
});
