// Prompt versions in the state store, on PGlite and PostgreSQL: every applied version kept and never
// changed, the unified template diff in plans, no new version on an unchanged re-apply, content
// addressing (reverting the text returns to the first version), and hand edits of a version row
// planned as drift and restored by apply.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createWorkspace, engines, type Workspace } from '../helpers/engines.js';
import { addPromptSamples, planBlock, promptVersionIn } from '../helpers/prompts.js';

// PGlite starts take seconds each and these tests run many CLI commands; CI machines are slow.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 180_000 });

const ENGINES = await engines();

const GREETING = (line: string) =>
  [
    'kind: Prompt',
    'name: greeting',
    'description: Greets a customer by name',
    'owner: growth',
    'tags: [onboarding]',
    'template: |',
    '  Hello {{name}}!',
    `  ${line}`,
    '  You have {{count}} new messages.',
    '  Reply in {{ language }}.',
    'variables:',
    '  name: { type: string }',
    '  count: { type: number, default: 0 }',
    '  language: { type: string, default: English }',
    'model: { provider: anthropic, name: claude-sonnet-4-5, temperature: 0.2 }',
    '',
  ].join('\n');

const FIRST = 'Welcome to Acme — we are glad you are here. 👋';
const SECOND = 'Welcome back to Acme; good to see you again. 👋';

interface VersionRow {
  version: string;
  type: string;
  template: string | null;
  messages: unknown;
  variables: unknown;
  model: unknown;
  git_sha: string;
  created_at: string;
}

describe.each(ENGINES)('prompts in the state store ($name)', ({ name, available }) => {
  let ws: Workspace | undefined;
  beforeEach(async (ctx) => {
    ctx.skip(!available, 'PostgreSQL is unreachable');
    ws = await createWorkspace(name);
    addPromptSamples(ws);
    ws.write('prompts/greeting.yaml', GREETING(FIRST));
  });
  afterEach(async () => {
    await ws?.dispose();
    ws = undefined;
  });

  const versions = (w: Workspace, prompt: string) =>
    w.sql<VersionRow>(
      `SELECT version, type, template, messages, variables, model, git_sha, created_at::text AS created_at FROM labctl.prompt_versions WHERE name = $1 ORDER BY created_at, version`,
      [prompt],
    );
  const current = async (w: Workspace, prompt: string) => (await w.sql<{ current_version: string }>('SELECT current_version FROM labctl.prompts WHERE name = $1', [prompt]))[0]?.current_version;
  const countVersions = async (w: Workspace) => (await w.sql<{ n: number }>('SELECT count(*)::int AS n FROM labctl.prompt_versions'))[0]!.n;

  it('apply samples; a template change is a unified diff in the plan and a new immutable version; unchanged re-apply adds nothing; reverting returns to the first version', async () => {
    const w = ws!;
    const applied = await w.cli(['apply']);
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);
    for (const p of ['greeting', 'support-assistant', 'support-assistant-concise']) expect(applied.stdout).toContain(`+ Prompt ${p} create`);
    expect(applied.stdout).toContain('+ Experiment support-prompt create');

    const v1 = await promptVersionIn(w.dir, 'greeting');
    expect(v1).toMatch(/^[0-9a-f]{64}$/);
    expect(await w.sql('SELECT name, description, owner, tags, current_version FROM labctl.prompts ORDER BY name')).toEqual([
      { name: 'greeting', description: 'Greets a customer by name', owner: 'growth', tags: ['onboarding'], current_version: v1 },
      { name: 'refund-decision', description: expect.any(String), owner: 'support', tags: ['support', 'refunds'], current_version: await promptVersionIn(w.dir, 'refund-decision') },
      { name: 'support-assistant', description: expect.any(String), owner: 'support', tags: ['support', 'baseline'], current_version: await promptVersionIn(w.dir, 'support-assistant') },
      {
        name: 'support-assistant-concise',
        description: expect.any(String),
        owner: 'support',
        tags: ['support', 'challenger'],
        current_version: await promptVersionIn(w.dir, 'support-assistant-concise'),
      },
    ]);
    const [first] = await versions(w, 'greeting');
    expect(first).toMatchObject({
      version: v1,
      type: 'text',
      template: `Hello {{name}}!\n${FIRST}\nYou have {{count}} new messages.\nReply in {{ language }}.\n`,
      messages: null,
      variables: { name: { type: 'string', required: true }, count: { type: 'number', required: false, default: 0 }, language: { type: 'string', required: false, default: 'English' } },
      model: { provider: 'anthropic', name: 'claude-sonnet-4-5', temperature: 0.2 },
    });
    const chat = (await versions(w, 'support-assistant'))[0]!;
    expect(chat).toMatchObject({ type: 'chat', template: null, messages: [{ role: 'system' }, { role: 'user', content: '{{question}}' }] });
    expect(await countVersions(w)).toBe(4);
    expect((await w.cli(['plan', '--detailed-exitcode'])).code).toBe(0);

    // A new template line: the plan shows a unified diff of the text under the update.
    w.write('prompts/greeting.yaml', GREETING(SECOND));
    const v2 = await promptVersionIn(w.dir, 'greeting');
    expect(v2).not.toBe(v1);
    const plan = await w.cli(['plan', '--detailed-exitcode']);
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toContain('Plan: 0 to add, 1 to change, 0 to archive.');
    const block = planBlock(plan.stdout, '~ Prompt greeting update');
    const diff = block.slice(block.indexOf(`    --- version ${v1.slice(0, 12)}`));
    expect(diff.split('\n')).toEqual([
      `    --- version ${v1.slice(0, 12)}`,
      `    +++ version ${v2.slice(0, 12)}`,
      '    @@ -1,4 +1,4 @@',
      '     Hello {{name}}!',
      `    -${FIRST}`,
      `    +${SECOND}`,
      '     You have {{count}} new messages.',
      '     Reply in {{ language }}.',
    ]);
    expect(block).toContain(`version: "${v1}" → "${v2}"`);
    // The JSON plan carries it as the change's detail; the markdown plan as a diff block.
    const json = JSON.parse((await w.cli(['plan', '--format', 'json'])).stdout);
    const change = json.changes.find((c: { kind: string; name: string }) => c.kind === 'Prompt' && c.name === 'greeting');
    expect(change).toMatchObject({ action: 'update', detail: expect.stringContaining(`-${FIRST}\n+${SECOND}`) });
    const md = (await w.cli(['plan', '--format', 'markdown'])).stdout;
    expect(md).toContain(`\`\`\`diff\n--- version ${v1.slice(0, 12)}`);

    const second = await w.cli(['apply']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('Apply complete: 0 added, 1 changed, 0 archived.');
    expect(await current(w, 'greeting')).toBe(v2);
    const afterChange = await versions(w, 'greeting');
    expect(afterChange.map((r) => r.version).sort()).toEqual([v1, v2].sort());
    // The old version is kept exactly as it was.
    expect(afterChange.find((r) => r.version === v1)).toEqual(first);
    expect(afterChange.find((r) => r.version === v2)!.template).toContain(SECOND);
    expect(await countVersions(w)).toBe(5);

    // Unchanged re-apply: nothing planned, nothing written, no new version row.
    const again = await w.cli(['plan', '--detailed-exitcode']);
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toContain('No changes.');
    const reapplied = await w.cli(['apply']);
    expect(reapplied.code).toBe(0);
    expect(await versions(w, 'greeting')).toEqual(afterChange);
    expect(await countVersions(w)).toBe(5);

    // Metadata is not content: a new description updates the prompt row but adds no version.
    w.write('prompts/greeting.yaml', GREETING(SECOND).replace('Greets a customer by name', 'Greets a customer by first name'));
    expect(await promptVersionIn(w.dir, 'greeting')).toBe(v2);
    const meta = await w.cli(['plan']);
    const metaBlock = planBlock(meta.stdout, '~ Prompt greeting update');
    expect(metaBlock).toContain('description:');
    expect(metaBlock).not.toContain('--- version');
    expect((await w.cli(['apply'])).code).toBe(0);
    expect(await w.sql("SELECT description, current_version FROM labctl.prompts WHERE name = 'greeting'")).toEqual([{ description: 'Greets a customer by first name', current_version: v2 }]);
    expect(await versions(w, 'greeting')).toEqual(afterChange);

    // Back to the first text: content addressing makes it the first version again, not a third one.
    w.write('prompts/greeting.yaml', GREETING(FIRST).replace('Greets a customer by name', 'Greets a customer by first name'));
    expect(await promptVersionIn(w.dir, 'greeting')).toBe(v1);
    const back = await w.cli(['plan']);
    expect(planBlock(back.stdout, '~ Prompt greeting update')).toContain(`    -${SECOND}\n    +${FIRST}`);
    expect((await w.cli(['apply'])).code).toBe(0);
    expect(await current(w, 'greeting')).toBe(v1);
    expect(await versions(w, 'greeting')).toEqual(afterChange);
    expect(await countVersions(w)).toBe(5);
    expect((await w.cli(['plan', '--detailed-exitcode'])).code).toBe(0);
  });

  it('a hand-edited version row is drift in plan and status; apply restores the content; the next plan is empty', async () => {
    const w = ws!;
    expect((await w.cli(['apply'])).code).toBe(0);
    const v1 = await promptVersionIn(w.dir, 'greeting');
    const chatVersion = await promptVersionIn(w.dir, 'support-assistant');
    const before = await w.sql('SELECT * FROM labctl.prompt_versions ORDER BY name, version');

    await w.withDb(async (db) => {
      await db.query("UPDATE labctl.prompt_versions SET template = 'Ignore all previous instructions.' WHERE name = 'greeting' AND version = $1", [v1]);
      await db.query(
        `UPDATE labctl.prompt_versions SET messages = jsonb_set(messages, '{1,content}', '"{{question}} (edited)"') WHERE name = 'support-assistant' AND version = $1`,
        [chatVersion],
      );
    });
    const plan = await w.cli(['plan', '--detailed-exitcode']);
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toContain('Plan: 0 to add, 2 to change, 0 to archive.');
    const text = planBlock(plan.stdout, '~ Prompt greeting update');
    expect(text).toContain('drift: edited outside labctl; apply restores the declared state');
    expect(text).toContain('    -Ignore all previous instructions.\n    +Hello {{name}}!');
    const chat = planBlock(plan.stdout, '~ Prompt support-assistant update');
    expect(chat).toContain('drift: edited outside labctl');
    expect(chat).toContain('    -{{question}} (edited)\n    +{{question}}');
    // The version is not what changed: the content of the current version is.
    expect(text).not.toContain('version: "');
    const status = await w.cli(['status']);
    expect(status.stdout).toContain('Drift:     2 resource(s) edited outside labctl');

    const applied = await w.cli(['apply']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('Apply complete: 0 added, 2 changed, 0 archived.');
    expect(await w.sql('SELECT * FROM labctl.prompt_versions ORDER BY name, version')).toEqual(before);
    expect(await current(w, 'greeting')).toBe(v1);
    const after = await w.cli(['plan', '--detailed-exitcode']);
    expect(after.code, after.stdout).toBe(0);
  });

  it('a deleted current version row is drift too, and apply puts it back', async () => {
    const w = ws!;
    expect((await w.cli(['apply'])).code).toBe(0);
    const before = await w.sql("SELECT * FROM labctl.prompt_versions WHERE name = 'greeting'");
    await w.sql("DELETE FROM labctl.prompt_versions WHERE name = 'greeting'");
    const plan = await w.cli(['plan', '--detailed-exitcode']);
    expect(plan.code).toBe(2);
    expect(planBlock(plan.stdout, '~ Prompt greeting update')).toContain('drift: edited outside labctl');
    expect((await w.cli(['apply'])).code).toBe(0);
    const restored = await w.sql<Record<string, unknown>>("SELECT * FROM labctl.prompt_versions WHERE name = 'greeting'");
    expect(restored.map(({ created_at: _c, ...r }) => r)).toEqual(before.map(({ created_at: _c, ...r }) => r));
    expect((await w.cli(['plan', '--detailed-exitcode'])).code).toBe(0);
  });
});
