import type { AssignmentReason } from '../engine/assign.js';

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
