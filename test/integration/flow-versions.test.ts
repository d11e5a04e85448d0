// Flow versions in the state store, on PGlite and PostgreSQL: apply writes the flow and an
// immutable, content-addressed version; a step change is a readable diff in the plan and a second
// version, the first kept as it was; re-applying adds nothing; reverting returns to the first
// version; a hand edit of the current version row is drift that apply puts back.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readFlowVersions } from '../../kinds/flow/table.js';
import { planBlock } from '../helpers/cli.js';
import { createWorkspace, engines, type Workspace } from '../helpers/engines.js';
import { loadSpecs } from '../helpers/flows.js';

vi.setConfig({ testTimeout: 240_000, hookTimeout: 180_000 });

const ENGINES = await engines();
const repo = (p: string) => readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8');
const FLOW = repo('flows/refund-request.yaml');
const PROMPT = repo('prompts/refund-decision.yaml');
const CONFIRM = 'Your refund for order {{order_id}} is approved. You will see it within 5 days.';
const EDITED = 'Approved. Order {{order_id}} will be refunded within 5 days.';

/** The version labctl computes for a flow text. */
function versionOf(flowText: string): string {
  const { resources } = loadSpecs({ 'flows/refund-request.yaml': flowText, 'prompts/refund-decision.yaml': PROMPT });
  return resources.find((r) => r.kind === 'Flow')!.spec.version as string;
}

describe.each(ENGINES)('flows in the state store ($name)', ({ name, available }) => {
  let ws: Workspace | undefined;
  beforeEach(async (ctx) => {
    ctx.skip(!available, 'PostgreSQL is unreachable');
    ws = await createWorkspace(name, { samples: false });
    ws.write('flows/refund-request.yaml', FLOW);
    ws.write('prompts/refund-decision.yaml', PROMPT);
  });
  afterEach(async () => {
    await ws?.dispose();
    ws = undefined;
  });

  const versions = (w: Workspace) => w.withDb((db) => readFlowVersions(db));

  it('apply keeps every version immutable; the plan shows a step diff; re-apply and revert add no version', async () => {
    const w = ws!;
    const applied = await w.cli(['apply']);
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);
    expect(applied.stdout).toContain('+ Flow refund-request create');
    const v1 = versionOf(FLOW);
    expect(await w.sql('SELECT name, description, owner, labels, current_version FROM labctl.flows')).toEqual([
      { name: 'refund-request', description: expect.stringContaining('refund request'), owner: 'support', labels: null, current_version: v1 },
    ]);
    const [first] = await versions(w);
    expect(first).toMatchObject({ name: 'refund-request', version: v1, content: { version: v1, session: { ttl: '30m', maxTurns: 30 }, slots: { approved: { type: 'boolean' } } } });
    expect((first!.content.steps as Array<{ id: string }>).map((s) => s.id)).toEqual(['ask-order', 'ask-reason', 'decide', 'confirm', 'escalate']);
    expect((await w.cli(['plan', '--detailed-exitcode'])).code).toBe(0);

    w.write('flows/refund-request.yaml', FLOW.replace(CONFIRM, EDITED));
    const v2 = versionOf(FLOW.replace(CONFIRM, EDITED));
    const plan = await w.cli(['plan', '--detailed-exitcode']);
    expect(plan.code, plan.stderr).toBe(2);
    const block = planBlock(plan.stdout, '~ Flow refund-request update');
    const diff = block.slice(block.indexOf(`    --- version ${v1.slice(0, 12)}`)).split('\n');
    expect(diff.slice(0, 2)).toEqual([`    --- version ${v1.slice(0, 12)}`, `    +++ version ${v2.slice(0, 12)}`]);
    expect(diff).toContain(`    -    say: ${CONFIRM}`);
    expect(diff).toContain(`    +    say: ${EDITED}`);
    expect(diff).toContain('       - id: confirm');

    expect((await w.cli(['apply'])).code).toBe(0);
    const after = await versions(w);
    expect(after.map((v) => v.version).sort()).toEqual([v1, v2].sort());
    expect(after.find((v) => v.version === v1)).toEqual(first);
    expect((await w.cli(['plan', '--detailed-exitcode'])).code).toBe(0);

    w.write('flows/refund-request.yaml', FLOW);
    expect((await w.cli(['apply'])).code).toBe(0);
    expect(await w.sql('SELECT current_version FROM labctl.flows')).toEqual([{ current_version: v1 }]);
    expect(await versions(w)).toEqual(after);
  });

  it('a hand-edited current version row is drift; apply restores it; the next plan is empty', async () => {
    const w = ws!;
    expect((await w.cli(['apply'])).code).toBe(0);
    await w.sql(`UPDATE labctl.flow_versions SET steps = jsonb_set(steps, '{3,say}', '"Refund denied."')`);
    const plan = await w.cli(['plan', '--detailed-exitcode']);
    expect(plan.code, plan.stderr).toBe(2);
    const block = planBlock(plan.stdout, '~ Flow refund-request update');
    expect(block).toContain('drift: edited outside labctl; apply restores the declared state');
    expect(block).toContain('    -    say: Refund denied.\n');
    expect((await w.cli(['apply'])).code).toBe(0);
    expect((await versions(w))[0]!.content.steps).toMatchObject([{}, {}, {}, { id: 'confirm', say: CONFIRM }, {}]);
    expect((await w.cli(['plan', '--detailed-exitcode'])).code).toBe(0);
  });
});
