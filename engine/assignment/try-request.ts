import type { JsonObject } from '../../core/types.js';
import { assignCompiled } from './assign.js';
import type { CompiledExperiment, Snapshot } from './snapshot.js';

export interface EnrolledExample {
  experiment: string;
  /** The unit attribute first, then what the targeting needs. */
  attributes: Record<string, string | number | boolean>;
}

/**
 * Attributes that plain targeting accepts, read from its own literals: `country: NL`,
 * `country: { $in: [NL, BE] }`, `{ $eq: … }`, and `$and` of those. Anything else is left out
 * (the assignment below decides whether the guess enrols).
 */
function targetingGuess(targeting: unknown): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  if (typeof targeting !== 'object' || targeting === null || Array.isArray(targeting)) return out;
  for (const [k, v] of Object.entries(targeting as JsonObject)) {
    if (k === '$and' && Array.isArray(v)) for (const c of v) Object.assign(out, targetingGuess(c));
    if (k.startsWith('$')) continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    else if (v && typeof v === 'object' && !Array.isArray(v)) {
      const ops = v as JsonObject;
      const first = Array.isArray(ops.$in) ? ops.$in[0] : ops.$eq;
      if (typeof first === 'string' || typeof first === 'number' || typeof first === 'boolean') out[k] = first;
    }
  }
  return out;
}

/**
 * A request the quick start can suggest that the runtime answers with an enrolment: a running
 * experiment (those without targeting first) and the first unit id `u1`, `u2`, … it enrols, with
 * the attributes its targeting asks for. Computed from the snapshot, so the suggestion stays true
 * whatever the specs say (layers, coverage, schedules, targeting).
 */
export function enrolledExample(snap: Snapshot, now: number, tries = 1000): EnrolledExample | undefined {
  const byTargeting = (e: CompiledExperiment) => (e.condition ? 1 : 0);
  for (const exp of [...snap.running].sort((a, b) => byTargeting(a) - byTargeting(b))) {
    const spec = snap.resources.get('Experiment')?.get(exp.name);
    const extra = exp.condition ? targetingGuess(spec?.targeting) : {};
    for (let i = 1; i <= tries; i++) {
      const attributes = { [exp.unit]: `u${i}`, ...extra };
      if (assignCompiled(exp, attributes, now).inExperiment) return { experiment: exp.name, attributes };
    }
  }
  return undefined;
}
