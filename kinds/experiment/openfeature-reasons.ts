import type { Assignment, AssignmentReason } from '../../engine/assignment/assign.js';

/** OpenFeature resolution reasons (as strings, shared by the provider and OFREP). */
export type OpenFeatureReason = 'SPLIT' | 'TARGETING_MATCH' | 'DEFAULT' | 'DISABLED' | 'ERROR';

/** Map an assignment reason to OpenFeature's vocabulary. */
export function openFeatureReason(reason: AssignmentReason): OpenFeatureReason {
  switch (reason) {
    case 'split':
      return 'SPLIT';
    case 'override':
      return 'TARGETING_MATCH';
    case 'not_running':
      return 'DISABLED';
    case 'unknown_experiment':
      return 'ERROR';
    default:
      return 'DEFAULT';
  }
}

/** OpenFeature's targetingKey stands in for the experiment's unit attribute when that is absent. */
export function contextAttributes(context: Record<string, unknown>, unit: string | undefined): Record<string, unknown> {
  const key = context.targetingKey;
  if (unit && context[unit] === undefined && typeof key === 'string' && key !== '') return { ...context, [unit]: key };
  return context;
}

/**
 * OpenFeature flag metadata of an assignment (OFREP `metadata`, the provider's `flagMetadata`).
 * Values are strings, numbers and booleans only, so a referenced model is flattened into
 * `modelName`, `modelAlias` and, when the alias resolved, `modelVersion` and `modelUri`.
 */
export function flagMetadata(experiment: string, a: Assignment, revision: string): Record<string, string | boolean> {
  const m: Record<string, string | boolean> = { experiment, inExperiment: a.inExperiment, revision, labctlReason: a.reason };
  const model = a.model;
  if (model) {
    m.modelName = model.name;
    m.modelAlias = model.alias;
    if (model.version !== null) m.modelVersion = model.version;
    if (model.uri !== null) m.modelUri = model.uri;
  }
  return m;
}
