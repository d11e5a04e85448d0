import type { Assignment, AssignmentReason } from '../../engine/assignment/assign.js';
import type { CompiledExperiment } from '../../engine/assignment/snapshot.js';

/**
 * The bytes of `GET /v1/assign/{experiment}` answers, rendered once per (snapshot revision,
 * experiment, reason, variant). An answer depends on nothing else — the variant's value and
 * resolved model are fixed in the snapshot — so the hot path looks bytes up instead of building
 * and stringifying an object per request (a quarter of the route's own CPU).
 */
interface Rendered {
  revision: string;
  bodies: Map<AssignmentReason, Map<string, Buffer>>;
}

// Keyed by the compiled experiment, so a replaced snapshot's answers go with it; the revision check
// covers a compiled experiment carried over into a new revision.
const rendered = new WeakMap<CompiledExperiment, Rendered>();

/** The JSON answer to a GET assignment, as bytes. `a` must come from assigning `exp`. */
export function assignAnswer(revision: string, exp: CompiledExperiment, a: Assignment): Buffer {
  let r = rendered.get(exp);
  if (r === undefined || r.revision !== revision) {
    r = { revision, bodies: new Map() };
    rendered.set(exp, r);
  }
  let byVariant = r.bodies.get(a.reason);
  if (byVariant === undefined) r.bodies.set(a.reason, (byVariant = new Map()));
  const key = a.variant ?? '';
  let body = byVariant.get(key);
  if (body === undefined) {
    const json: Record<string, unknown> = { revision, experiment: exp.name, variant: a.variant, value: a.value, inExperiment: a.inExperiment, reason: a.reason };
    if (a.model) json.model = a.model;
    body = Buffer.from(JSON.stringify(json));
    byVariant.set(key, body);
  }
  return body;
}
