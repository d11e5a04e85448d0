import type { Json, JsonObject } from '../../core/types.js';
import { compileCondition, type Predicate } from '../../core/conditions/conditions.js';
import { seedState } from './hash.js';
import { parseModelRef, resolveModelRef, type ModelAliasMap, type ResolvedModel } from './models.js';
import { variantRanges, type Range } from './ranges.js';

/** An experiment ready for assignment: ranges computed and targeting compiled once. */
export interface CompiledExperiment {
  readonly name: string;
  readonly running: boolean;
  readonly unit: string;
  readonly seed: string;
  /** seedState(seed): the split hash continues from it (no per-request concatenation). */
  readonly seedState: number;
  readonly phase: number;
  readonly variants: readonly CompiledVariant[];
  readonly ranges: readonly Range[];
  readonly condition: Predicate | null;
  readonly layer: { readonly seed: string; readonly seedState: number; readonly range: Range } | null;
  readonly holdouts: ReadonlyArray<{ readonly name: string; readonly seed: string; readonly seedState: number; readonly share: number }>;
  readonly start: number;
  readonly end: number;
  /** Whether a schedule bounds it (start or end finite): only then is the clock read. */
  readonly scheduled: boolean;
  readonly overrides: ReadonlyMap<string, number> | null;
}

/** A variant ready for assignment. */
export interface CompiledVariant {
  readonly key: string;
  readonly value: Json;
  /** The model its value references (`model: NAME@ALIAS`), resolved when the snapshot was built; null without one. */
  readonly model: ResolvedModel | null;
}

/** Immutable state the runtime serves from; swapped whole, never mutated. */
export interface Snapshot {
  readonly revision: string;
  readonly createdAt: number;
  readonly experiments: ReadonlyMap<string, CompiledExperiment>;
  /** Running experiments, in name order (what POST /v1/assign without a list evaluates). */
  readonly running: readonly CompiledExperiment[];
  /** Every active resource spec by kind and name (prompts, flows and models read from here). */
  readonly resources: ReadonlyMap<string, ReadonlyMap<string, JsonObject>>;
  /** Every applied version of every prompt (content specs), oldest first; absent for a directory snapshot. */
  readonly promptVersions?: ReadonlyMap<string, ReadonlyArray<{ readonly version: string; readonly spec: JsonObject }>>;
  /** Every applied version of each flow (the runtime serves sessions pinned to older ones); absent for directory snapshots. */
  readonly flowVersions?: ReadonlyMap<string, ReadonlyArray<{ readonly version: string; readonly spec: JsonObject }>>;
  /**
   * What the aliases of managed models point at in MLflow (model → alias → version), as apply last
   * read or wrote them; absent for a directory snapshot (then only pinned aliases resolve).
   */
  readonly modelAliases?: ModelAliasMap;
}

/** Inputs of a snapshot beyond the specs. */
export interface SnapshotOptions {
  /** Versions of model aliases read from MLflow; they win over aliases pinned in Model specs. */
  modelAliases?: ModelAliasMap;
}

/** A resource as the snapshot needs it. */
export interface SnapshotResource {
  kind: string;
  name: string;
  spec: JsonObject;
}

function compileExperiment(
  name: string,
  s: JsonObject,
  holdouts: ReadonlyArray<{ name: string; spec: JsonObject }>,
  models: ReadonlyMap<string, JsonObject> | undefined,
  modelAliases: ModelAliasMap | undefined,
): CompiledExperiment {
  const variants = (s.variants as JsonObject[]).map((v): CompiledVariant => {
    const value = (v.value ?? null) as Json;
    const ref = parseModelRef(value);
    return { key: v.key as string, value, model: ref ? resolveModelRef(ref, models?.get(ref.name), modelAliases) : null };
  });
  const layer = s.layer as { name: string; range: [number, number] } | undefined;
  const schedule = (s.schedule ?? {}) as { start?: string; end?: string };
  const overrides = s.overrides as Record<string, string> | undefined;
  const keyIndex = new Map(variants.map((v, i) => [v.key, i]));
  const start = schedule.start ? Date.parse(schedule.start) : -Infinity;
  const end = schedule.end ? Date.parse(schedule.end) : Infinity;
  return {
    name,
    running: s.status === 'running',
    unit: s.unit as string,
    seed: s.seed as string,
    seedState: seedState(s.seed as string),
    phase: s.phase as number,
    variants,
    ranges: variantRanges((s.variants as JsonObject[]).map((v) => v.weight as number), s.coverage as number),
    condition: s.targeting ? compileCondition(s.targeting) : null,
    layer: layer ? { seed: `layer:${layer.name}`, seedState: seedState(`layer:${layer.name}`), range: [layer.range[0], layer.range[1]] } : null,
    holdouts: holdouts
      .filter((h) => !Array.isArray(h.spec.experiments) || (h.spec.experiments as string[]).includes(name))
      .map((h) => ({ name: h.name, seed: `holdout:${h.name}`, seedState: seedState(`holdout:${h.name}`), share: h.spec.share as number })),
    start,
    end,
    scheduled: !(start === -Infinity && end === Infinity),
    overrides: overrides ? new Map(Object.entries(overrides).flatMap(([unit, key]) => (keyIndex.has(key) ? [[unit, keyIndex.get(key)!] as const] : []))) : null,
  };
}

/**
 * Build an immutable snapshot from validated specs (desired or applied). Model references in
 * variant values are resolved here, once, from options.modelAliases and the Model specs.
 */
export function buildSnapshot(resources: readonly SnapshotResource[], revision: string, createdAt: number = Date.now(), options: SnapshotOptions = {}): Snapshot {
  const byKind = new Map<string, Map<string, JsonObject>>();
  for (const r of resources) {
    let m = byKind.get(r.kind);
    if (!m) byKind.set(r.kind, (m = new Map()));
    m.set(r.name, r.spec);
  }
  const holdouts = [...(byKind.get('Holdout') ?? new Map<string, JsonObject>()).entries()].map(([name, spec]) => ({ name, spec }));
  const experiments = new Map<string, CompiledExperiment>();
  for (const [name, spec] of [...(byKind.get('Experiment') ?? new Map<string, JsonObject>()).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    experiments.set(name, compileExperiment(name, spec, holdouts, byKind.get('Model'), options.modelAliases));
  }
  return {
    revision,
    createdAt,
    experiments,
    running: [...experiments.values()].filter((e) => e.running),
    resources: byKind,
    modelAliases: options.modelAliases,
  };
}
