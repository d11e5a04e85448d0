import { promotionPolicyTable } from './table.js';
import type { JsonObject, Resource } from '../../core/types.js';
import { suggestHint } from '../../core/suggest.js';
import { normaliseHeader } from '../common.js';
import { formatDuration, parseDuration, parseMetricGate } from '../../core/gates/index.js';
import { reservedAliasProblem } from '../model/kind.js';
import type { KindDef, ResourceProblem, RuleContext, RuleProblem } from '../types.js';

/**
 * A PromotionPolicy moves one alias (`target`) of a Model to a candidate version when every gate
 * passes. Normalised spec:
 * `{ description?, owner?, labels?, model, candidate, target, gates, onDrift }` with
 * - candidate `{ alias }` or `{ newest: { tags } }` (tags default `{}`);
 * - gates `{ metrics: string[], minAge?: string, tags?: {…} }`: metric gates in canonical spacing
 *   (`val_auc >= 0.8`, `val_auc >= champion + 0.01`), minAge as a canonical duration (days,
 *   hours, minutes, seconds: `90m` → `1h30m`, `24h` → `1d`), tags only when non-empty;
 * - onDrift `report` (default) or `restore`.
 * A gate or minAge that does not parse is kept as written, so the rules report it with its offset.
 */

function normaliseCandidate(raw: JsonObject): JsonObject {
  const out: JsonObject = {};
  if (raw.alias !== undefined) out.alias = raw.alias;
  if (raw.newest !== undefined) out.newest = { tags: ((raw.newest as JsonObject).tags ?? {}) as JsonObject };
  return out;
}

function normaliseGates(raw: JsonObject, target: string): JsonObject {
  const out: JsonObject = {};
  out.metrics = ((raw.metrics ?? []) as string[]).map((text) => {
    const parsed = parseMetricGate(text, target);
    return parsed.ok ? parsed.gate.text : text;
  });
  if (typeof raw.minAge === 'string') {
    const d = parseDuration(raw.minAge);
    out.minAge = d.ok ? formatDuration(d.seconds) : raw.minAge;
  }
  const tags = (raw.tags ?? {}) as JsonObject;
  if (Object.keys(tags).length > 0) out.tags = tags;
  return out;
}

function normalise(doc: JsonObject): JsonObject {
  const out = normaliseHeader(doc);
  out.model = doc.model as string;
  out.candidate = normaliseCandidate(doc.candidate as JsonObject);
  out.target = doc.target as string;
  out.gates = normaliseGates((doc.gates ?? {}) as JsonObject, doc.target as string);
  out.onDrift = (doc.onDrift as string | undefined) ?? 'report';
  return out;
}

interface PolicySpec {
  model: string;
  candidate: { alias?: string; newest?: { tags: Record<string, string> } };
  target: string;
  gates: { metrics: string[]; minAge?: string; tags?: Record<string, string> };
}

function rules(r: Resource, ctx: RuleContext): RuleProblem[] {
  const s = r.spec as unknown as PolicySpec;
  const problems: RuleProblem[] = [];
  const model = ctx.get('Model', s.model);
  if (!model) {
    problems.push({ code: 'unknown-model', path: ['model'], summary: `model "${s.model}" is not declared`, hint: suggestHint(s.model, ctx.ofKind('Model').map((m) => m.name), `add a document with kind: Model and name: ${s.model}`) });
  } else {
    const aliases = model.spec.aliases as Record<string, { version?: string; policy?: string }>;
    const alias = Object.hasOwn(aliases, s.target) ? aliases[s.target] : undefined;
    if (alias?.policy !== r.name) {
      const where = model.source ? ` (${model.source.file})` : '';
      const summary =
        alias === undefined
          ? `model "${s.model}" does not declare alias "${s.target}", so this policy would move an alias labctl does not manage`
          : alias.policy !== undefined
            ? `alias "${s.target}" of model "${s.model}" is delegated to policy "${alias.policy}", not to this one`
            : `alias "${s.target}" of model "${s.model}" is pinned to version ${String(alias.version)}, not delegated to this policy`;
      problems.push({
        code: 'alias-not-delegated',
        path: ['target'],
        summary,
        detail: model.source ? `model ${s.model} is declared at ${model.source.file}:${model.source.line}` : undefined,
        hint: `${alias === undefined ? 'add' : 'make'} this line under aliases: of model ${s.model}${where}: ${s.target}: { policy: ${r.name} }`,
      });
    }
  }
  const reservedTarget = reservedAliasProblem(s.target, ['target'], 'target alias');
  if (reservedTarget) problems.push(reservedTarget);
  if (s.candidate.alias !== undefined && s.candidate.newest !== undefined) {
    problems.push({ code: 'candidate-alias-and-newest', path: ['candidate'], summary: 'candidate has both alias and newest; it needs exactly one', hint: 'keep alias: to promote the version at that alias, or newest: to promote the newest READY version with the given tags' });
  }
  if (s.candidate.alias !== undefined) {
    const reserved = reservedAliasProblem(s.candidate.alias, ['candidate', 'alias'], 'candidate alias');
    if (reserved) problems.push(reserved);
    if (s.candidate.alias === s.target) {
      problems.push({
        code: 'candidate-is-target',
        path: ['candidate', 'alias'],
        summary: `the candidate alias is the target alias "${s.target}": the policy would promote a version onto itself`,
        hint: 'let your pipeline set another alias on new versions (e.g. challenger) and use it as candidate',
      });
    }
  }
  s.gates.metrics.forEach((text, i) => {
    const parsed = parseMetricGate(text, s.target);
    if (!parsed.ok) problems.push({ code: 'invalid-gate', path: ['gates', 'metrics', i], offset: parsed.offset, summary: `gate "${text}": ${parsed.message}`, hint: parsed.hint });
  });
  if (s.gates.minAge !== undefined) {
    const d = parseDuration(s.gates.minAge);
    if (!d.ok) problems.push({ code: 'invalid-duration', path: ['gates', 'minAge'], offset: d.offset, summary: `minAge "${s.gates.minAge}": ${d.message}`, hint: d.hint });
  }
  if (s.gates.metrics.length === 0 && s.gates.minAge === undefined && s.gates.tags === undefined) {
    problems.push({
      severity: 'warning',
      code: 'no-gates',
      path: ['gates'],
      summary: `policy "${r.name}" has no gates: every new candidate is promoted to ${s.target} unconditionally`,
      hint: 'add gates, e.g. gates: { metrics: ["val_auc >= 0.8"], minAge: 1h }, or keep it if that is intended',
    });
  }
  return problems;
}

/** Two policies moving the same alias of the same model would fight over it. */
function groupRules(resources: readonly Resource[]): ResourceProblem[] {
  const byTarget = new Map<string, Resource[]>();
  for (const r of resources) {
    const k = `${String(r.spec.model)}\u0000${String(r.spec.target)}`;
    byTarget.set(k, [...(byTarget.get(k) ?? []), r]);
  }
  const out: ResourceProblem[] = [];
  for (const list of byTarget.values()) {
    if (list.length < 2) continue;
    for (const r of list) {
      const others = list.filter((o) => o !== r);
      out.push({
        resource: r,
        problem: {
          code: 'duplicate-policy-target',
          path: ['target'],
          summary: `policies ${[r, ...others].map((x) => `"${x.name}"`).join(' and ')} all move alias "${String(r.spec.target)}" of model "${String(r.spec.model)}"`,
          detail: others.map((o) => (o.source ? `${o.name} is declared at ${o.source.file}:${o.source.line}` : o.name)).join('; '),
          hint: 'keep one policy per alias: merge their gates into one policy, or give the other a different target',
        },
      });
    }
  }
  return out;
}

export const promotionPolicyKind: KindDef = {
  kind: 'PromotionPolicy',
  schemaFile: 'promotion-policy.schema.json',
  table: promotionPolicyTable,
  normalise,
  rules,
  groupRules,
};
