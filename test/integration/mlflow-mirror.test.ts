import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MirrorReport } from '../../reconciler/external/prompt-mirror.js';
import { readSpecDir, SpecLoader } from '../../reconciler/load/index.js';
import { MlflowClient } from '../../adapters/mlflow/index.js';
import { Reconciler } from '../../reconciler/watch/reconciler.js';
import { createWorkspace, waitFor, type Workspace } from '../helpers/engines.js';
import { closedPort, requireMlflow, sendJson, startStub, uniqueName } from '../helpers/mlflow.js';

// The prompt mirror against a real `mlflow server` (CI starts one and sets TEST_MLFLOW_URI).
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const MLFLOW = await requireMlflow();

function textPrompt(name: string, template: string, extra = ''): string {
  return [
    'kind: Prompt',
    `name: ${name}`,
    'description: Greets a customer by name.',
    `template: ${JSON.stringify(template)}`,
    'variables:',
    '  customer: { type: string }',
    'mlflow: { mirror: true }',
    extra,
  ].join('\n');
}

function chatPrompt(name: string, alias: string): string {
  return [
    'kind: Prompt',
    `name: ${name}`,
    'messages:',
    '  - role: system',
    '    content: "You answer questions about {{topic}}."',
    '  - role: user',
    '    content: "{{question}}"',
    'variables:',
    '  topic: { type: string }',
    '  question: { type: string }',
    `mlflow: { mirror: true, alias: ${alias} }`,
  ].join('\n');
}

const TAG = { isPrompt: 'mlflow.prompt.is_prompt', text: 'mlflow.prompt.text', version: 'labctl.version' };

describe('MLflow prompt mirror (real MLflow server)', () => {
  let ws: Workspace | undefined;
  let mlflow: MlflowClient;
  beforeEach(async (ctx) => {
    ctx.skip(!MLFLOW, 'TEST_MLFLOW_URI is unset or MLflow does not answer');
    mlflow = new MlflowClient({ trackingUri: MLFLOW! });
    ws = await createWorkspace('pglite', { samples: false, state: 'migrated' });
  });
  afterEach(async () => {
    await ws?.dispose();
    ws = undefined;
  });

  /** Every version of a prompt (prompt versions are only found with the prompt tag in the filter). */
  const versionsOf = async (name: string) =>
    (await mlflow.searchAllModelVersions({ filter: `name = '${name}' AND tags.\`${TAG.isPrompt}\` = 'true'` })).sort((a, b) => Number(a.version) - Number(b.version));

  it('registers the prompt, a version holding the template and the alias; re-applying adds nothing; a new template moves the alias', async () => {
    const w = ws!;
    const name = uniqueName('greeting');
    const env = { MLFLOW_TRACKING_URI: MLFLOW };
    w.write('prompts/greeting.yaml', textPrompt(name, 'Hello {{customer}}, how can we help?'));

    const plan = await w.cli(['plan'], env);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain(`MLflow: prompt ${name} will be mirrored after apply (alias production)`);

    const first = await w.cli(['apply'], env);
    expect(first.stderr).not.toMatch(/error|failed/i);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Apply complete: 1 added');
    expect(first.stdout).toContain(`MLflow: prompt ${name}: registered version 1 (new prompt), alias production → version 1`);

    const model = await mlflow.getRegisteredModel(name);
    expect(model).toMatchObject({ name, description: 'Greets a customer by name.', tags: { [TAG.isPrompt]: 'true' }, aliases: { production: '1' } });
    const [row] = await w.sql<{ current_version: string }>('SELECT current_version FROM labctl.prompts WHERE name = $1', [name]);
    const hash1 = row!.current_version;
    let versions = await versionsOf(name);
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({
      version: '1',
      source: `labctl://prompts/${name}@${hash1}`,
      tags: { [TAG.isPrompt]: 'true', [TAG.text]: 'Hello {{customer}}, how can we help?', [TAG.version]: hash1, _mlflow_prompt_type: 'text' },
    });
    expect(versions[0]!.tags['labctl.git_sha']).toBeTruthy();
    const aliased = await mlflow.getModelVersionByAlias(name, 'production');
    expect(aliased?.version).toBe('1');
    expect(aliased?.tags[TAG.text]).toBe('Hello {{customer}}, how can we help?');

    // Idempotent: nothing new in MLflow, and the output says it is in sync.
    const again = await w.cli(['apply'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('No changes.');
    expect(again.stdout).toMatch(/MLflow: 1 mirrored prompt already in sync/);
    expect(await versionsOf(name)).toHaveLength(1);

    // A new template: a second version, and the alias moves to it.
    w.write('prompts/greeting.yaml', textPrompt(name, 'Hi {{customer}}! What can we do for you today?'));
    const changed = await w.cli(['apply'], env);
    expect(changed.code).toBe(0);
    expect(changed.stdout).toContain('Apply complete: 0 added, 1 changed');
    expect(changed.stdout).toContain(`MLflow: prompt ${name}: registered version 2, alias production → version 2`);
    versions = await versionsOf(name);
    expect(versions.map((v) => v.version)).toEqual(['1', '2']);
    expect(versions[1]!.tags[TAG.text]).toBe('Hi {{customer}}! What can we do for you today?');
    expect((await mlflow.getModelVersionByAlias(name, 'production'))?.version).toBe('2');
    expect((await mlflow.getRegisteredModel(name))?.aliases).toEqual({ production: '2' });

    // Reverting the template points the alias back at version 1 instead of registering a copy.
    w.write('prompts/greeting.yaml', textPrompt(name, 'Hello {{customer}}, how can we help?'));
    const reverted = await w.cli(['apply'], env);
    expect(reverted.code).toBe(0);
    expect(reverted.stdout).toContain(`MLflow: prompt ${name}: alias production → existing version 1`);
    expect(await versionsOf(name)).toHaveLength(2);
    expect((await mlflow.getModelVersionByAlias(name, 'production'))?.version).toBe('1');
  });

  it('mirrors a chat prompt as its messages in JSON under the alias it names', async () => {
    const w = ws!;
    const name = uniqueName('helpdesk');
    w.write('prompts/helpdesk.yaml', chatPrompt(name, 'champion'));
    const r = await w.cli(['apply'], { MLFLOW_TRACKING_URI: MLFLOW });
    expect(r.stderr).not.toMatch(/error|failed/i);
    expect(r.code).toBe(0);
    const v = await mlflow.getModelVersionByAlias(name, 'champion');
    expect(v?.tags._mlflow_prompt_type).toBe('chat');
    expect(JSON.parse(v!.tags[TAG.text]!)).toEqual([
      { role: 'system', content: 'You answer questions about {{topic}}.' },
      { role: 'user', content: '{{question}}' },
    ]);
    expect(await mlflow.getModelVersionByAlias(name, 'production')).toBeUndefined();
  });

  it('an unreachable MLflow fails apply after the database commit; re-running apply retries the mirror with no changes', async () => {
    const w = ws!;
    const name = uniqueName('outage');
    w.write('prompts/outage.yaml', textPrompt(name, 'Sorry {{customer}}, we are down.'));
    const down = await w.cli(['apply'], { MLFLOW_TRACKING_URI: `http://127.0.0.1:${await closedPort()}`, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' });
    expect(down.code).toBe(1);
    expect(down.stdout).toContain('Apply complete: 1 added');
    expect(down.stderr).toContain(`MLflow mirror of prompt ${name} failed: cannot reach MLflow`);
    expect(down.stderr).toMatch(/error: the database was applied \(revision [0-9a-f]+\), but the MLflow mirror failed for 1 prompt/);
    expect(down.stderr).toContain('re-run labctl apply to retry the mirror');
    // The database has the prompt; MLflow has nothing.
    expect(await w.sql('SELECT name FROM labctl.prompts')).toEqual([{ name }]);
    expect(await mlflow.getRegisteredModel(name)).toBeUndefined();

    const retry = await w.cli(['apply'], { MLFLOW_TRACKING_URI: MLFLOW });
    expect(retry.code).toBe(0);
    expect(retry.stdout).toContain('No changes.');
    expect(retry.stdout).toContain(`MLflow: prompt ${name}: registered version 1 (new prompt), alias production → version 1`);
    expect((await mlflow.getModelVersionByAlias(name, 'production'))?.tags[TAG.text]).toBe('Sorry {{customer}}, we are down.');
  });

  it('refuses to write prompt versions into a registered model that is not a prompt', async () => {
    const w = ws!;
    const name = uniqueName('taken');
    await mlflow.createRegisteredModel({ name, description: 'a real model' });
    w.write('prompts/taken.yaml', textPrompt(name, 'Hello {{customer}}'));
    const r = await w.cli(['apply'], { MLFLOW_TRACKING_URI: MLFLOW });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`MLflow has a registered model "${name}" that is not a prompt`);
    expect(await mlflow.searchAllModelVersions({ filter: `name = '${name}'` })).toEqual([]);
  });

  it('the watch reconciler mirrors after applying, and logs a failing mirror without failing the reconcile', async () => {
    const w = ws!;
    const name = uniqueName('watched');
    w.write('prompts/watched.yaml', textPrompt(name, 'Welcome back, {{customer}}.'));
    await w.withDb(async (db) => {
      const base = {
        db,
        load: async () => new SpecLoader().load(await readSpecDir(w.dir)),
        actor: async () => 'test',
        git: async () => ({ sha: 'unknown', dirty: false }),
      };
      const downLogs: string[] = [];
      const down = new Reconciler({ ...base, log: (l) => downLogs.push(l), env: { MLFLOW_TRACKING_URI: `http://127.0.0.1:${await closedPort()}`, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' } });
      const failed = once(down, 'mirrored');
      await down.reconcileNow();
      const [report] = (await failed) as [MirrorReport];
      expect(report.failed.map((f) => f.prompt)).toEqual([name]);
      expect(down.status.state).toBe('Ready');
      expect(down.status.lastAppliedRevision).toBeTruthy();
      expect(downLogs.join('\n')).toMatch(new RegExp(`MLflow mirror of prompt ${name} failed: .*retrying the mirror in`));
      await down.stop();

      const logs: string[] = [];
      const up = new Reconciler({ ...base, log: (l) => logs.push(l), env: { MLFLOW_TRACKING_URI: MLFLOW } });
      const mirrored = once(up, 'mirrored');
      await up.reconcileNow();
      const [ok] = (await mirrored) as [MirrorReport];
      expect(ok.failed).toEqual([]);
      expect(ok.results).toEqual([{ prompt: name, alias: 'production', status: 'created', mlflowVersion: '1', registeredModelCreated: true }]);
      await waitFor(() => logs.some((l) => l.includes(`MLflow: prompt ${name}: registered version 1`)), 'the mirror log line');
      await up.stop();
    });
    expect((await mlflow.getModelVersionByAlias(name, 'production'))?.tags[TAG.text]).toBe('Welcome back, {{customer}}.');
  });
});

describe('without MLFLOW_TRACKING_URI', () => {
  let ws: Workspace | undefined;
  afterEach(async () => {
    await ws?.dispose();
    ws = undefined;
  });

  it('plan and apply succeed and report mirrored prompts as skipped', async () => {
    ws = await createWorkspace('pglite', { samples: false, state: 'migrated' });
    const name = uniqueName('offline');
    ws.write('prompts/offline.yaml', textPrompt(name, 'Hello {{customer}}'));
    const skipped = `MLflow: prompt ${name}: skipped: MLflow not configured (set MLFLOW_TRACKING_URI to mirror it)`;
    const plan = await ws.cli(['plan'], { MLFLOW_TRACKING_URI: undefined });
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain(skipped);
    const json = await ws.cli(['plan', '--format', 'json'], { MLFLOW_TRACKING_URI: undefined });
    expect(() => JSON.parse(json.stdout)).not.toThrow();
    expect(json.stderr).toContain(skipped);
    const r = await ws.cli(['apply'], { MLFLOW_TRACKING_URI: undefined });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.stdout).toContain('Apply complete: 1 added');
    expect(r.stdout).toContain(skipped);
    // Said again on a no-op apply: the prompt is still not mirrored.
    const again = await ws.cli(['apply'], { MLFLOW_TRACKING_URI: undefined });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(skipped);
  });
});

describe('MLflow client authentication (local recorder)', () => {
  it('sends MLFLOW_TRACKING_TOKEN as a Bearer token, else the username and password as Basic', async () => {
    const recorder = await startStub((_r, res) => sendJson(res, 200, { registered_model: { name: 'p', tags: [] } }));
    try {
      await MlflowClient.fromEnv({ MLFLOW_TRACKING_URI: recorder.url, MLFLOW_TRACKING_TOKEN: 'tok-123', MLFLOW_TRACKING_USERNAME: 'ignored' })!.getRegisteredModel('p');
      await MlflowClient.fromEnv({ MLFLOW_TRACKING_URI: recorder.url, MLFLOW_TRACKING_USERNAME: 'ds-team', MLFLOW_TRACKING_PASSWORD: 'pä:ss' })!.getRegisteredModel('p');
      await MlflowClient.fromEnv({ MLFLOW_TRACKING_URI: recorder.url.replace('http://', 'http://uri-user:uri-pass@') })!.getRegisteredModel('p');
      await MlflowClient.fromEnv({ MLFLOW_TRACKING_URI: recorder.url })!.getRegisteredModel('p');
      const auth = recorder.requests.map((r) => r.headers.authorization);
      expect(auth).toEqual([
        'Bearer tok-123',
        `Basic ${Buffer.from('ds-team:pä:ss', 'utf8').toString('base64')}`,
        `Basic ${Buffer.from('uri-user:uri-pass').toString('base64')}`,
        undefined,
      ]);
      expect(recorder.requests.every((r) => r.url === '/api/2.0/mlflow/registered-models/get?name=p' && r.headers.accept === 'application/json')).toBe(true);
    } finally {
      await recorder.close();
    }
  });
});
