import {
  FlagNotFoundError,
  OpenFeatureEventEmitter,
  ProviderEvents,
  TypeMismatchError,
  type EvaluationContext,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
} from '@openfeature/server-sdk';
import type { EventEmitter } from 'node:events';
import { assignCompiled } from '../../engine/assignment/assign.js';
import type { Snapshot } from '../../engine/assignment/snapshot.js';
import { contextAttributes, flagMetadata, openFeatureReason } from '../../kinds/experiment/openfeature-reasons.js';

/** Where the provider reads assignments from: a static snapshot or a live one (`openSnapshot`). */
export interface ProviderSource {
  readonly current: Snapshot;
}

type Kind = 'boolean' | 'string' | 'number' | 'object';

function typeOf(v: unknown): Kind | 'null' | 'array' {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v as Kind;
}

/**
 * OpenFeature provider over labctl's assignment engine: a flag key is an experiment name, the flag
 * value is the assigned variant's value. Resolves in-process from the snapshot, no network call.
 */
export class LabctlProvider implements Provider {
  readonly metadata = { name: 'labctl' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  private readonly onChange = (s: Snapshot) => this.events.emit(ProviderEvents.ConfigurationChanged, { message: `revision ${s.revision}`, metadata: { revision: s.revision } });

  constructor(private readonly source: ProviderSource, private readonly now: () => number = Date.now) {
    (source as Partial<EventEmitter>).on?.('change', this.onChange);
  }

  private resolve<T extends JsonValue>(flagKey: string, expected: Kind, context: EvaluationContext): ResolutionDetails<T> {
    const snap = this.source.current;
    const exp = snap.experiments.get(flagKey);
    if (!exp) throw new FlagNotFoundError(`experiment "${flagKey}" does not exist in revision ${snap.revision}`);
    const a = assignCompiled(exp, contextAttributes(context as Record<string, unknown>, exp.unit), this.now());
    const actual = typeOf(a.value);
    const ok = actual === expected || (expected === 'object' && (actual === 'array' || actual === 'null'));
    if (!ok) throw new TypeMismatchError(`experiment "${flagKey}" variant "${a.variant}" has a ${actual} value, not a ${expected}`);
    return {
      value: a.value as T,
      variant: a.variant ?? undefined,
      reason: openFeatureReason(a.reason),
      flagMetadata: flagMetadata(exp.name, a, snap.revision),
    };
  }

  async resolveBooleanEvaluation(flagKey: string, _default: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>> {
    return this.resolve<boolean>(flagKey, 'boolean', context);
  }

  async resolveStringEvaluation(flagKey: string, _default: string, context: EvaluationContext): Promise<ResolutionDetails<string>> {
    return this.resolve<string>(flagKey, 'string', context);
  }

  async resolveNumberEvaluation(flagKey: string, _default: number, context: EvaluationContext): Promise<ResolutionDetails<number>> {
    return this.resolve<number>(flagKey, 'number', context);
  }

  async resolveObjectEvaluation<T extends JsonValue>(flagKey: string, _default: T, context: EvaluationContext): Promise<ResolutionDetails<T>> {
    return this.resolve<T>(flagKey, 'object', context);
  }

  async onClose(): Promise<void> {
    (this.source as Partial<EventEmitter>).off?.('change', this.onChange);
  }
}
