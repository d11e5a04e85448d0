import { suggestHint } from '../../core/suggest.js';
import type { RuleContext, RuleProblem } from '../types.js';

const FLOW_REF = /^([a-z0-9][a-z0-9-]{0,62})(?:@([0-9a-f]{6,64}))?$/;

/** An experiment variant value's flow reference `{ flow: NAME }` or `{ flow: NAME@VERSION }`: undefined without one, null when malformed. */
export function flowRef(value: unknown): { name: string; version?: string } | null | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('flow' in value)) return undefined;
  const ref = (value as { flow: unknown }).flow;
  const m = typeof ref === 'string' ? FLOW_REF.exec(ref) : null;
  if (!m) return null;
  return m[2] ? { name: m[1]!, version: m[2] } : { name: m[1]! };
}

/** Problems of one variant value's flow reference (path: its `flow` field). */
export function flowRefProblems(value: unknown, path: Array<string | number>, ctx: RuleContext): RuleProblem[] {
  const ref = flowRef(value);
  if (ref === undefined) return [];
  if (ref === null) {
    return [{ code: 'invalid-flow-ref', path, summary: 'a flow reference must be NAME or NAME@VERSION (a hex prefix of at least 6 characters)', hint: 'write flow: refund-request or flow: refund-request@3fa2c1' }];
  }
  const flow = ctx.get('Flow', ref.name);
  if (!flow) {
    return [{ code: 'unknown-flow', path, summary: `flow "${ref.name}" is not declared`, hint: suggestHint(ref.name, ctx.ofKind('Flow').map((f) => f.name), `add a document with kind: Flow and name: ${ref.name}`) }];
  }
  if (ref.version && !String(flow.spec.version).startsWith(ref.version)) {
    return [
      {
        severity: 'warning',
        code: 'pinned-flow-version',
        path,
        summary: `flow "${ref.name}" is pinned to version ${ref.version}, not the current ${String(flow.spec.version).slice(0, 12)}`,
        hint: 'the pinned version must have been applied before; sessions of it cannot start otherwise',
      },
    ];
  }
  return [];
}

/**
 * An experiment that chooses a flow must do so in every variant: a session started with it takes
 * the assigned variant's flow, and a variant without one leaves the unit nothing to talk to.
 */
export function mixedFlowVariantProblems(variants: ReadonlyArray<{ key?: unknown; value?: unknown }>): RuleProblem[] {
  const withFlow = variants.map((v) => flowRef(v.value) !== undefined);
  if (!withFlow.some(Boolean) || withFlow.every(Boolean)) return [];
  const first = withFlow.findIndex((f) => !f);
  const named = variants.filter((_, i) => withFlow[i]).map((v) => String(v.key));
  return [
    {
      code: 'mixed-flow-variants',
      path: ['variants', first, 'value'],
      summary: `variant "${String(variants[first]!.key)}" names no flow, but ${named.map((k) => `"${k}"`).join(', ')} ${named.length === 1 ? 'does' : 'do'}`,
      hint: 'give every variant a flow: NAME (the control included), or none of them',
    },
  ];
}
