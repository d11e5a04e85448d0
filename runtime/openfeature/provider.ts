import {
  FlagNotFoundError,
  OpenFeatureEventEmitter,
  ProviderEvents,
  TypeMismatchError,
  type EvaluationContext,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
  type TrackingEventDetails,
} from '@openfeature/server-sdk';
import type { EventEmitter } from 'node:events';
import { assignCompiled } from '../../engine/assignment/assign.js';
import type { Snapshot } from '../../engine/assignment/snapshot.js';
import { contextAttributes, flagMetadata, openFeatureReason } from '../../kinds/experiment/openfeature-reasons.js';

/** Where the provider reads assignments from: a static snapshot or a live one (`openSnapshot`). */
export interface ProviderSource {
  readonly current: Snapshot;
}

/** An event as the provider hands it to its sink: the shape of `LabctlClient.track`'s argument. */
export interface ProviderEvent {
  event: string;
  attributes: Record<string, unknown>;
  value?: number;
  properties?: Record<string, unknown>;
}

/** Where tracked events go: a `LabctlClient` (labctl/client), or anything with the same `track`. */
export interface EventSink {
  track(event: ProviderEvent): unknown;
}

export interface LabctlProviderOptions {
  /** Receives OpenFeature's `client.track(…)` calls; without it, track() throws (the SDK logs it). */
  events?: EventSink;
  /** Clock for schedules (tests). */
  now?: () => number;
}

/** Context and details are JSON once Dates are ISO strings (the SDK allows Dates in both). */
function toJson(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(toJson);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  return v;
}

/** The unit attributes a snapshot's experiments name, computed once per snapshot. */
const unitsOf = new WeakMap<Snapshot, string[]>();
function units(snap: Snapshot): string[] {
  let u = unitsOf.get(snap);
  if (!u) unitsOf.set(snap, (u = [...new Set([...snap.experiments.values()].map((e) => e.unit))]));
  return u;
}

/**
 * The attributes of a tracked event: the context as an assignment sees it, so the event carries
 * the unit the assignment used: targetingKey stands in for every unit attribute of the snapshot's
 * experiments that the context lacks (docs/routes/event-logging-route.md).
 */
export function trackingAttributes(context: EvaluationContext, snap: Snapshot): Record<string, unknown> {
  let attrs = toJson(context) as Record<string, unknown>;
  for (const unit of units(snap)) attrs = contextAttributes(attrs, unit);
  return attrs;
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

  private readonly now: () => number;
  private readonly sink: EventSink | undefined;

  /** `new LabctlProvider(source, { events: client })`; the older `(source, now)` form still works. */
  constructor(private readonly source: ProviderSource, options: LabctlProviderOptions | (() => number) = {}) {
    const o = typeof options === 'function' ? { now: options } : options;
    this.now = o.now ?? Date.now;
    this.sink = o.events;
    (source as Partial<EventEmitter>).on?.('change', this.onChange);
  }

  /**
   * OpenFeature's tracking API: `client.track(name, context, { value, ...rest })` becomes the event
   * `name` with the context's attributes, `value`, and the rest of the details as properties.
   */
  track(trackingEventName: string, context: EvaluationContext, trackingEventDetails: TrackingEventDetails): void {
    if (!this.sink) throw new Error('LabctlProvider has no events sink: pass new LabctlProvider(source, { events: client })');
    const { value, ...rest } = (trackingEventDetails ?? {}) as TrackingEventDetails;
    const properties = toJson(rest) as Record<string, unknown>;
    this.sink.track({
      event: trackingEventName,
      attributes: trackingAttributes(context ?? {}, this.source.current),
      ...(value !== undefined ? { value } : {}),
      ...(Object.keys(properties).length > 0 ? { properties } : {}),
    });
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
