import type { Json } from '../../core/types.js';
import type { Attributes } from '../../core/conditions/conditions.js';
import { hashWithSeedState } from './hash.js';
import type { ResolvedModel } from './models.js';
import type { CompiledExperiment, Snapshot } from './snapshot.js';

/** Why a unit got what it got (docs/assignment.md#6-evaluation-order-and-reasons). */
export type AssignmentReason =
  | 'split'
  | 'override'
  | 'holdout'
  | 'targeting_miss'
  | 'layer_miss'
  | 'coverage_miss'
  | 'missing_unit'
  | 'not_running'
  | 'unknown_experiment';

export interface Assignment {
  experiment: string;
  /** Variant key; the control (first variant) when not enrolled; null for an unknown experiment. */
  variant: string | null;
  value: Json;
  inExperiment: boolean;
  reason: AssignmentReason;
  /**
   * Present only when the variant's value references a model (`model: NAME@ALIAS`): the alias
   * resolved to an MLflow version when the snapshot was built. `value` is returned unchanged.
   */
  model?: ResolvedModel;
}

/** An assignment with the evaluation details `labctl assign` shows. */
export interface AssignmentDetail extends Assignment {
  unit: string | null;
  /** The unit's hash in [0, 1) for the split, when it was computed. */
  hash: number | null;
  phase: number | null;
}

/** The unit value an experiment hashes (its `unit` attribute as a string), or null when missing. */
export function unitValue(exp: CompiledExperiment, attributes: Attributes): string | null {
  const v = attributes[exp.unit];
  if (v === undefined || v === null || v === '') return null;
  return typeof v === 'string' ? v : String(v);
}

/** Outcome of the decision steps; reused between calls so the hot path allocates only the answer. */
interface Decision {
  index: number;
  inExperiment: boolean;
  reason: AssignmentReason;
  unit: string | null;
  hash: number | null;
}

const scratch: Decision = { index: 0, inExperiment: false, reason: 'split', unit: null, hash: null };

function decided(index: number, inExperiment: boolean, reason: AssignmentReason, unit: string | null, hash: number | null): Decision {
  scratch.index = index;
  scratch.inExperiment = inExperiment;
  scratch.reason = reason;
  scratch.unit = unit;
  scratch.hash = hash;
  return scratch;
}

/**
 * The order of docs/assignment.md#6-evaluation-order-and-reasons: not running → unit → overrides → holdout → targeting → layer → coverage/split.
 * `now` undefined reads the clock, and only for a scheduled experiment.
 */
function decide(exp: CompiledExperiment, attributes: Attributes, now: number | undefined): Decision {
  if (!exp.running) return decided(0, false, 'not_running', null, null);
  if (exp.scheduled) {
    const t = now ?? Date.now();
    if (t < exp.start || t >= exp.end) return decided(0, false, 'not_running', null, null);
  }
  const unit = unitValue(exp, attributes);
  if (unit === null) return decided(0, false, 'missing_unit', null, null);
  if (exp.overrides) {
    const forced = exp.overrides.get(unit);
    if (forced !== undefined) return decided(forced, false, 'override', unit, null);
  }
  const holdouts = exp.holdouts;
  for (let i = 0; i < holdouts.length; i++) {
    const ho = holdouts[i]!;
    if (hashWithSeedState(ho.seedState, unit) < ho.share) return decided(0, false, 'holdout', unit, null);
  }
  if (exp.condition && !exp.condition(attributes)) return decided(0, false, 'targeting_miss', unit, null);
  if (exp.layer) {
    const lh = hashWithSeedState(exp.layer.seedState, unit);
    if (lh < exp.layer.range[0] || lh >= exp.layer.range[1]) return decided(0, false, 'layer_miss', unit, null);
  }
  const h = hashWithSeedState(exp.seedState, unit);
  const ranges = exp.ranges;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]!;
    if (h >= r[0] && h < r[1]) return decided(i, true, 'split', unit, h);
  }
  return decided(0, false, 'coverage_miss', unit, h);
}

/** Evaluate one compiled experiment with details (for `labctl assign`). Pure. */
export function evaluate(exp: CompiledExperiment, attributes: Attributes, now: number): AssignmentDetail {
  const d = decide(exp, attributes, now);
  const v = exp.variants[d.index]!;
  const out: AssignmentDetail = { experiment: exp.name, variant: v.key, value: v.value, inExperiment: d.inExperiment, reason: d.reason, unit: d.unit, hash: d.hash, phase: exp.phase };
  if (v.model !== null) out.model = v.model;
  return out;
}

/** Assign with a compiled experiment: the runtime's hot path. Pure given `now` (else the clock, for scheduled experiments). */
export function assignCompiled(exp: CompiledExperiment, attributes: Attributes, now?: number): Assignment {
  const d = decide(exp, attributes, now);
  const v = exp.variants[d.index]!;
  // Two literals, so answers without a model keep the one shape they always had (no extra field, no check beyond this).
  if (v.model === null) return { experiment: exp.name, variant: v.key, value: v.value, inExperiment: d.inExperiment, reason: d.reason };
  return { experiment: exp.name, variant: v.key, value: v.value, inExperiment: d.inExperiment, reason: d.reason, model: v.model };
}

/**
 * Assign a unit (named by the experiment's `unit` attribute) to a variant. Synchronous and pure;
 * `now` (ms since the epoch) defaults to the clock, read only for experiments with a schedule.
 */
export function assign(snapshot: Snapshot, experiment: string, attributes: Attributes, now?: number): Assignment {
  const exp = snapshot.experiments.get(experiment);
  if (!exp) return { experiment, variant: null, value: null, inExperiment: false, reason: 'unknown_experiment' };
  return assignCompiled(exp, attributes, now);
}
