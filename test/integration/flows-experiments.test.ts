// Experiment-driven flows on `labctl serve` (in-process, real HTTP, real PostgreSQL): an Experiment
// whose variants are { flow: refund-request } and { flow: refund-request-v2 }. A session started
// with `experiment` runs the flow of the variant GET /v1/assign gives the same user, says which,
// and records the exposure for enrolled users only; a flow the experiment does not use is a 400.
import { describe, expect, it, vi } from 'vitest';
import { SAMPLE_FILES, useFlowRuntime } from '../helpers/flows-runtime.js';
import { requirePostgres } from '../helpers/postgres.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 60_000 });

const ASK_V1 = 'What is your 8-digit order number?';
const ASK_V2 = 'Which order is it about? Type its 8 digits.';

const EXPERIMENT = `kind: Experiment
name: refund-flow-test
description: Does a shorter first question finish more refund requests?
owner: support
status: running
unit: user_id
coverage: 0.7
variants:
  - { key: control, weight: 50, value: { flow: refund-request } }
  - { key: shorter, weight: 50, value: { flow: refund-request-v2 } }
overrides: { qa-user: shorter }
`;

const GREETING = `kind: Flow
name: greeting
steps:
  - { id: hello, say: "Hello.", next: end }
`;

const USERS = Array.from({ length: 40 }, (_, i) => `user-${i}`);
const FLOW_OF: Record<string, string> = { control: 'refund-request', shorter: 'refund-request-v2' };

const available = await requirePostgres();

describe.skipIf(!available)('sessions started by an experiment over two flows', () => {
  const V2 = SAMPLE_FILES['flows/refund-request.yaml']!.replace('name: refund-request', 'name: refund-request-v2').replace(ASK_V1, ASK_V2);
  const rt = useFlowRuntime(() => ({ files: { 'flows/refund-request-v2.yaml': V2, 'flows/greeting.yaml': GREETING, 'experiments/refund-flow-test.yaml': EXPERIMENT } }));

  const exposures = () => rt.project.sql<{ unit: string; variant: string; revision: string }>(`SELECT unit, variant, revision FROM labctl.exposures WHERE experiment = 'refund-flow-test' ORDER BY unit`);

  async function exposuresSettled(count: number) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const rows = await exposures();
      if (rows.length >= count || Date.now() > deadline) return rows;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('each user runs the flow of the variant /v1/assign gives them; enrolled users are exposed, the others are not', async () => {
    const started = new Map<string, { variant: string; inExperiment: boolean; flow: string; text: string; reason?: string }>();
    for (const [i, user] of USERS.entries()) {
      // Either flow of the experiment may be named in the path: the assignment decides.
      const path = i % 2 === 0 ? 'refund-request' : 'refund-request-v2';
      const r = await rt.client.start(path, { experiment: 'refund-flow-test', attributes: { user_id: user, country: 'NL' } });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body.experiment).toMatchObject({ name: 'refund-flow-test' });
      started.set(user, { ...r.body.experiment, flow: r.body.flow, text: r.body.messages[0].text });
      const shown = (await rt.client.get(r.body.session)).body;
      expect(shown.experiment).toEqual(r.body.experiment);
      expect(shown.flow).toBe(r.body.flow);
    }
    const revision = rt.serve.runtime.live.current.revision;
    const enrolled = USERS.filter((u) => started.get(u)!.inExperiment);
    // Coverage 0.7 of 40 users: both outcomes occur, and both variants among the enrolled.
    expect(enrolled.length).toBeGreaterThan(10);
    expect(enrolled.length).toBeLessThan(40);
    expect(new Set(enrolled.map((u) => started.get(u)!.variant))).toEqual(new Set(['control', 'shorter']));

    const rows = await exposuresSettled(enrolled.length);
    expect(rows.map((r) => [r.unit, r.variant])).toEqual(enrolled.sort().map((u) => [u, started.get(u)!.variant]));
    expect(new Set(rows.map((r) => r.revision))).toEqual(new Set([revision]));

    for (const user of USERS) {
      const a = await fetch(`${rt.serve.url}/v1/assign/refund-flow-test?user_id=${user}`);
      const assigned = (await a.json()) as { variant: string; inExperiment: boolean; value: { flow: string } };
      const s = started.get(user)!;
      expect({ user, variant: s.variant, inExperiment: s.inExperiment }).toEqual({ user, variant: assigned.variant, inExperiment: assigned.inExperiment });
      // Not enrolled: the control's flow, as /v1/assign gives the control's value.
      expect(s.flow).toBe(assigned.value.flow);
      expect(s.flow).toBe(FLOW_OF[s.variant]);
      expect(s.text).toBe(s.flow === 'refund-request' ? ASK_V1 : ASK_V2);
    }
  });

  it('an override sends its user to the variant it names, unexposed as /v1/assign has it; so is a request without the unit', async () => {
    const qa = await rt.client.start('refund-request', { experiment: 'refund-flow-test', attributes: { user_id: 'qa-user' } });
    expect(qa.body).toMatchObject({ flow: 'refund-request-v2', experiment: { variant: 'shorter', inExperiment: false }, messages: [{ text: ASK_V2 }] });
    const assigned = (await (await fetch(`${rt.serve.url}/v1/assign/refund-flow-test?user_id=qa-user`)).json()) as { variant: string; inExperiment: boolean; reason: string };
    expect(assigned).toMatchObject({ variant: 'shorter', inExperiment: false, reason: 'override' });
    const anonymous = await rt.client.start('refund-request-v2', { experiment: 'refund-flow-test', attributes: { country: 'NL' } });
    expect(anonymous.body).toMatchObject({ flow: 'refund-request', experiment: { variant: 'control', inExperiment: false }, messages: [{ text: ASK_V1 }] });
    const none = await rt.client.start('refund-request', { experiment: 'refund-flow-test' });
    expect(none.status).toBe(201);
    expect(none.body.experiment).toMatchObject({ variant: 'control', inExperiment: false });
    // Past the writer's flush interval (500 ms): nothing new was exposed.
    const before = (await exposures()).length;
    await new Promise((r) => setTimeout(r, 800));
    const units = (await exposures()).map((r) => r.unit);
    expect(units).toHaveLength(before);
    expect(units.every((u) => u.startsWith('user-'))).toBe(true);
  });

  it('the session runs on in the variant flow, and the experiment stays on the session', async () => {
    const r = await rt.client.start('refund-request', { experiment: 'refund-flow-test', attributes: { user_id: 'qa-user' } });
    const id = r.body.session as string;
    expect((await rt.client.send(id, '12345678')).body).toMatchObject({ flow: 'refund-request-v2', step: 'ask-reason', experiment: { variant: 'shorter' } });
    expect((await rt.client.send(id, 'damaged')).body).toMatchObject({ flow: 'refund-request-v2', state: 'ended', experiment: { variant: 'shorter' } });
  });

  it('a flow the experiment does not choose between is a 400 naming its variants', async () => {
    const r = await rt.client.start('greeting', { experiment: 'refund-flow-test', attributes: { user_id: 'user-1' } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('flow_not_in_experiment');
    expect(r.body.error.message).toContain('control → refund-request');
    expect(r.body.error.message).toContain('shorter → refund-request-v2');
    // Without the experiment, the same flow starts.
    expect((await rt.client.start('greeting')).body).toMatchObject({ state: 'ended', messages: [{ text: 'Hello.' }] });
  });

  // An experiment whose variants mix flows and other values is refused by validate
  // (kinds/flow/invalid/experiment-mixed-flow-variants); the runtime still answers 409
  // variant_without_flow should such a state be served.
});
