import { analysisProblems } from './analysis-rules.js';
import { flowRefProblems, mixedFlowVariantProblems } from '../flow/variant-ref.js';
import { experimentRoutes } from './routes.js';
import { experimentTable } from './table.js';
import { checkCondition } from '../../core/conditions/operators.js';
import type { Json, JsonObject, Resource } from '../../core/types.js';
import { suggestHint } from '../../core/suggest.js';
import { normaliseHeader, setIf } from '../common.js';
import { allocationOf, reassignmentImpact } from '../../engine/reassignment.js';
import type { ChangeCheck, KindDef, ResourceProblem, RuleContext, RuleProblem } from '../types.js';

interface LayerRef {
  name: string;
  range: [number, number];
}

function layerOf(r: Resource): LayerRef | undefined {
  return r.spec.layer as unknown as LayerRef | undefined;
}

function normaliseTime(v: Json | undefined): string | undefined {
  return typeof v === 'string' ? new Date(v).toISOString() : undefined;
}

function normalise(doc: JsonObject): JsonObject {
  const out = normaliseHeader(doc);
  out.status = (doc.status as string | undefined) ?? 'draft';
  out.unit = (doc.unit as string | undefined) ?? 'user_id';
  out.seed = (doc.seed as string | undefined) ?? (doc.name as string);
  out.phase = (doc.phase as number | undefined) ?? 1;
  out.coverage = (doc.coverage as number | undefined) ?? 1;
  out.variants = (doc.variants as JsonObject[]).map((v) => {
    const variant: JsonObject = { key: v.key as string, weight: v.weight as number };
    setIf(variant, 'value', v.value);
    setIf(variant, 'description', v.description);
    return variant;
  });
  setIf(out, 'targeting', doc.targeting);
  setIf(out, 'layer', doc.layer);
  const schedule = doc.schedule as JsonObject | undefined;
  if (schedule) {
    const s: JsonObject = {};
    setIf(s, 'start', normaliseTime(schedule.start));
    setIf(s, 'end', normaliseTime(schedule.end));
    out.schedule = s;
  }
  setIf(out, 'overrides', doc.overrides);
  const metrics = doc.metrics as JsonObject | undefined;
  if (metrics) {
    const m: JsonObject = {};
    for (const k of ['primary', 'secondary', 'guardrails']) if (Array.isArray(metrics[k]) && metrics[k].length > 0) m[k] = metrics[k];
    if (Object.keys(m).length > 0) out.metrics = m;
  }
  setIf(out, 'analysis', doc.analysis);
  setIf(out, 'decision', doc.decision);
  return out;
}

function rules(r: Resource, ctx: RuleContext): RuleProblem[] {
  const s = r.spec;
  const problems: RuleProblem[] = [];
  const variants = s.variants as Array<{ key: string }>;
  const seen = new Map<string, number>();
  variants.forEach((v, i) => {
    const first = seen.get(v.key);
    if (first !== undefined) {
      problems.push({ code: 'duplicate-variant-key', path: ['variants', i, 'key'], summary: `variant key "${v.key}" is used twice`, detail: `also at variants[${first}]`, hint: 'give every variant a unique key' });
    } else seen.set(v.key, i);
  });
  (s.variants as Array<{ value?: unknown }>).forEach((v, i) => {
    const ref = promptRef(v.value);
    if (ref === undefined) return;
    const path = ['variants', i, 'value', 'prompt'];
    if (ref === null) {
      problems.push({ code: 'invalid-prompt-ref', path, summary: 'a prompt reference must be NAME or NAME@VERSION (a hex prefix of at least 6 characters)', hint: 'write prompt: support-assistant or prompt: support-assistant@3fa2c1' });
      return;
    }
    const prompt = ctx.get('Prompt', ref.name);
    if (!prompt) {
      problems.push({ code: 'unknown-prompt', path, summary: `prompt "${ref.name}" is not declared`, hint: suggestHint(ref.name, ctx.ofKind('Prompt').map((p) => p.name), `add a document with kind: Prompt and name: ${ref.name}`) });
    } else if (ref.version && !String(prompt.spec.version).startsWith(ref.version)) {
      problems.push({
        severity: 'warning',
        code: 'pinned-prompt-version',
        path,
        summary: `prompt "${ref.name}" is pinned to version ${ref.version}, not the current ${String(prompt.spec.version).slice(0, 12)}`,
        hint: 'the pinned version must have been applied before; the runtime answers 404 if it was not',
      });
    }
  });
  (s.variants as Array<{ value?: unknown }>).forEach((v, i) => problems.push(...modelRefProblems(v.value, ['variants', i, 'value', 'model'], ctx)));
  (s.variants as Array<{ value?: unknown }>).forEach((v, i) => problems.push(...flowRefProblems(v.value, ['variants', i, 'value', 'flow'], ctx)));
  problems.push(...mixedFlowVariantProblems(s.variants as Array<{ key?: unknown; value?: unknown }>));
  const overrides = (s.overrides ?? {}) as Record<string, string>;
  for (const [unit, key] of Object.entries(overrides)) {
    if (!seen.has(key)) {
      problems.push({ code: 'unknown-override-variant', path: ['overrides', unit], summary: `override for "${unit}" names variant "${key}", which does not exist`, hint: `use one of: ${[...seen.keys()].join(', ')}` });
    }
  }
  const schedule = s.schedule as { start?: string; end?: string } | undefined;
  if (schedule?.start && schedule.end && !(schedule.start < schedule.end)) {
    problems.push({ code: 'schedule-order', path: ['schedule', 'end'], summary: `schedule ends (${schedule.end}) before it starts (${schedule.start})`, hint: 'make start earlier than end' });
  }
  const layer = layerOf(r);
  if (layer) {
    if (!(layer.range[0] < layer.range[1])) {
      problems.push({ code: 'layer-range-order', path: ['layer', 'range'], summary: `layer range [${layer.range.join(', ')}] is empty`, hint: 'write [start, end] with start < end, both within 0..1' });
    }
    const decl = ctx.get('Layer', layer.name);
    if (!decl) {
      problems.push({ code: 'unknown-layer', path: ['layer', 'name'], summary: `layer "${layer.name}" is not declared`, hint: suggestHint(layer.name, ctx.ofKind('Layer').map((l) => l.name), `add a document with kind: Layer and name: ${layer.name}`) });
    } else if (decl.spec.unit !== undefined && decl.spec.unit !== s.unit) {
      problems.push({ code: 'layer-unit-mismatch', path: ['unit'], summary: `experiment unit "${String(s.unit)}" differs from layer "${layer.name}" unit "${String(decl.spec.unit)}"`, hint: 'experiments sharing a layer must hash the same unit' });
    }
  }
  const metrics = (s.metrics ?? {}) as Record<string, string[]>;
  for (const [group, names] of Object.entries(metrics)) {
    names.forEach((m, i) => {
      if (!ctx.get('Metric', m)) problems.push({ code: 'unknown-metric', path: ['metrics', group, i], summary: `metric "${m}" is not declared`, hint: suggestHint(m, ctx.ofKind('Metric').map((x) => x.name), `add a document with kind: Metric and name: ${m}`) });
    });
  }
  problems.push(...analysisProblems(s));
  if (s.targeting !== undefined) {
    for (const p of checkCondition(s.targeting)) {
      problems.push({ code: 'invalid-condition', path: ['targeting', ...p.path], summary: `targeting: ${p.message}`, hint: p.hint });
    }
  }
  return problems;
}

/** Running experiments sharing a layer must own disjoint slices of it. */
function groupRules(resources: readonly Resource[]): ResourceProblem[] {
  const byLayer = new Map<string, Resource[]>();
  for (const r of resources) {
    const layer = layerOf(r);
    if (!layer || r.spec.status !== 'running') continue;
    const list = byLayer.get(layer.name) ?? [];
    list.push(r);
    byLayer.set(layer.name, list);
  }
  const out: ResourceProblem[] = [];
  for (const [layerName, list] of byLayer) {
    const sorted = [...list].sort((a, b) => layerOf(a)!.range[0] - layerOf(b)!.range[0]);
    // After sorting by start, any overlap shows up between a slice and the furthest-reaching earlier one.
    let reach: Resource | undefined;
    for (const r of sorted) {
      const range = layerOf(r)!.range;
      if (reach && layerOf(reach)!.range[1] > range[0]) {
        const other = layerOf(reach)!.range;
        for (const [self, peer, selfRange, peerRange] of [[r, reach, range, other], [reach, r, other, range]] as const) {
          out.push({
            resource: self,
            problem: {
              code: 'layer-overlap',
              path: ['layer', 'range'],
              summary: `layer "${layerName}": range [${selfRange.join(', ')}] overlaps experiment "${peer.name}" [${peerRange.join(', ')}]`,
              detail: peer.source ? `${peer.name} is declared at ${peer.source.file}:${peer.source.line}` : undefined,
              hint: 'give running experiments in one layer disjoint ranges, or pause one',
            },
          });
        }
      }
      if (!reach || layerOf(reach)!.range[1] < range[1]) reach = r;
    }
  }
  return out;
}

/** A variant value's prompt reference: undefined when it has none, null when it is malformed. */
export function promptRef(value: unknown): { name: string; version?: string } | null | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('prompt' in value)) return undefined;
  const ref = (value as { prompt: unknown }).prompt;
  if (typeof ref !== 'string') return null;
  const m = /^([a-z0-9][a-z0-9-]{0,62})(?:@([0-9a-f]{6,64}))?$/.exec(ref);
  if (!m) return null;
  return m[2] ? { name: m[1]!, version: m[2] } : { name: m[1]! };
}

const MODEL_REF = /^([a-z0-9][a-z0-9-]{0,62})@([A-Za-z0-9_-]{1,255})$/;

/**
 * A variant value's model reference `{ model: "NAME@ALIAS" }`: undefined when the value has none
 * (not an object, no string `model` field, or a string without `@`, such as an LLM name like
 * `gpt-4.1-mini`), null when the string has an `@` but is not NAME@ALIAS.
 */
export function modelRef(value: unknown): { name: string; alias: string } | null | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('model' in value)) return undefined;
  const ref = (value as { model: unknown }).model;
  if (typeof ref !== 'string' || !ref.includes('@')) return undefined;
  const m = MODEL_REF.exec(ref);
  return m ? { name: m[1]!, alias: m[2]! } : null;
}

/** Problems of one variant value's model reference (path: the `model` field). */
function modelRefProblems(value: unknown, path: Array<string | number>, ctx: RuleContext): RuleProblem[] {
  const ref = modelRef(value);
  if (ref === undefined) {
    // `model: churn-classifier` without an alias: a declared Model's name is meant as a reference.
    const text = (value as { model?: unknown } | null)?.model;
    if (typeof text === 'string' && typeof value === 'object' && !Array.isArray(value) && ctx.get('Model', text)) {
      return [{ code: 'invalid-model-ref', path, summary: `model reference "${text}" has no alias`, hint: `name the alias to serve: write model: ${text}@champion (or another alias the model declares)` }];
    }
    return [];
  }
  if (ref === null) {
    return [{ code: 'invalid-model-ref', path, summary: 'a model reference must be NAME@ALIAS (a Model name, then an alias of letters, digits, _ and -)', hint: 'write model: churn-classifier@champion' }];
  }
  const model = ctx.get('Model', ref.name);
  if (!model) {
    return [{ code: 'unknown-model', path, summary: `model "${ref.name}" is not declared`, hint: suggestHint(ref.name, ctx.ofKind('Model').map((m) => m.name), `add a document with kind: Model and name: ${ref.name}`) }];
  }
  const declared = Object.hasOwn((model.spec.aliases ?? {}) as object, ref.alias);
  const candidate = ctx.ofKind('PromotionPolicy').some((p) => p.spec.model === ref.name && (p.spec.candidate as { alias?: string } | undefined)?.alias === ref.alias);
  if (declared || candidate) return [];
  return [
    {
      severity: 'warning',
      code: 'unmanaged-model-alias',
      path,
      summary: `model "${ref.name}" does not declare alias "${ref.alias}" and no promotion policy uses it as candidate`,
      detail: 'the runtime serves whatever version the alias points at in MLflow, and nothing when it points nowhere',
      hint: `declare it under aliases: of model ${ref.name} (e.g. ${ref.alias}: { version: 3 }), or reference an alias the model declares`,
    },
  ];
}

const ACTIVE = new Set(['running', 'paused']);

/** Moving units of a live experiment between variants needs a phase bump. */
function checkChange(before: JsonObject, after: JsonObject): ChangeCheck {
  if (!ACTIVE.has(before.status as string) || !ACTIVE.has(after.status as string)) return { problems: [] };
  const impact = reassignmentImpact(allocationOf(before), allocationOf(after));
  if (!impact) return { problems: [] };
  const acknowledged = (after.phase as number) > (before.phase as number);
  const problems: RuleProblem[] = [];
  if (impact.moved > 0 && !acknowledged) {
    const pct = (impact.moved * 100).toFixed(2);
    problems.push({
      code: 'reassignment-unacknowledged',
      path: [impact.causes[0] === 'weights' ? 'variants' : impact.causes[0] ?? 'variants'],
      summary: `changing ${impact.causes.join(', ')} of a ${String(before.status)} experiment moves ${impact.estimated ? '≈' : ''}${pct}% of units to another variant or out of the experiment`,
      detail: 'units that already saw one variant would see another, which biases the results',
      hint: `set phase: ${(before.phase as number) + 1} to start a new analysis phase, or revert the change`,
    });
  }
  return { reassignment: { ...impact, acknowledged }, problems };
}

export const experimentKind: KindDef = {
  kind: 'Experiment',
  schemaFile: 'experiment.schema.json',
  table: experimentTable,
  routes: experimentRoutes,
  normalise,
  rules,
  groupRules,
  checkChange,
};
