import { modelTable } from './table.js';
import type { Json, JsonObject, Resource } from '../../core/types.js';
import { suggestHint } from '../../core/suggest.js';
import { normaliseHeader, setIf } from '../common.js';
import type { KindDef, ResourceProblem, RuleContext, RuleProblem } from '../types.js';

/**
 * A Model is a registered model in MLflow. labctl manages the tags it declares and its aliases:
 * an alias is pinned (`{ version: "3" }`) or moved by a PromotionPolicy (`{ policy: name }`).
 *
 * Normalised spec: `{ description?, owner?, labels?, mlflowName, tags, aliases }` with mlflowName
 * defaulted to the name, tags and aliases defaulted to `{}`, and every alias either
 * `{ version: "<digits>" }` or `{ policy: "<name>" }`.
 */

/** An alias name MLflow reserves: `latest` (any case) and version-like `v3` / `V3`. */
export function reservedAlias(alias: string): 'latest' | 'version' | undefined {
  if (alias.toLowerCase() === 'latest') return 'latest';
  if (/^[vV]\d+$/.test(alias)) return 'version';
  return undefined;
}

/** The rule problem for a reserved alias name at path, if it is one. */
export function reservedAliasProblem(alias: string, path: ReadonlyArray<string | number>, role: string): RuleProblem | undefined {
  const why = reservedAlias(alias);
  if (!why) return undefined;
  return {
    code: 'reserved-alias',
    path,
    summary:
      why === 'latest'
        ? `${role} "${alias}" is reserved by MLflow: "latest" always means the newest version`
        : `${role} "${alias}" is reserved by MLflow: v<number> names a version, not an alias`,
    hint: why === 'latest' ? 'choose another name, e.g. newest-approved; to follow the newest version, use a PromotionPolicy with candidate: { newest: {} }' : 'choose a name that is not v followed by digits, e.g. baseline or champion',
  };
}

function normaliseAlias(raw: JsonObject): JsonObject {
  const out: JsonObject = {};
  // Versions are MLflow's version strings; 3 and "3" mean the same.
  if (raw.version !== undefined) out.version = typeof raw.version === 'number' ? String(raw.version) : raw.version;
  setIf(out, 'policy', raw.policy);
  return out;
}

function normalise(doc: JsonObject): JsonObject {
  const out = normaliseHeader(doc);
  out.mlflowName = (doc.mlflowName as string | undefined) ?? (doc.name as string);
  out.tags = (doc.tags ?? {}) as JsonObject;
  // fromEntries defines own properties, so even an alias called __proto__ is kept as data.
  out.aliases = Object.fromEntries(Object.entries((doc.aliases ?? {}) as Record<string, JsonObject>).map(([alias, raw]) => [alias, normaliseAlias(raw)]));
  return out;
}

function shown(v: Json | undefined): string {
  return typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? 'nothing';
}

function rules(r: Resource, ctx: RuleContext): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const aliases = r.spec.aliases as Record<string, { version?: Json; policy?: string }>;
  for (const [alias, a] of Object.entries(aliases)) {
    const path = ['aliases', alias];
    const reserved = reservedAliasProblem(alias, path, 'alias');
    if (reserved) problems.push(reserved);
    if (a.version !== undefined && a.policy !== undefined) {
      problems.push({
        code: 'alias-version-and-policy',
        path,
        summary: `alias "${alias}" has both version and policy; it needs exactly one`,
        hint: `keep version: ${typeof a.version === 'string' ? a.version : 'N'} to pin the alias, or policy: ${a.policy} to let that policy move it`,
      });
      continue;
    }
    if (a.version !== undefined) {
      if (typeof a.version !== 'string' || !/^[1-9][0-9]{0,17}$/.test(a.version)) {
        problems.push({ code: 'invalid-alias-version', path: [...path, 'version'], summary: `alias "${alias}": version must be a positive whole number, got ${shown(a.version)}`, hint: 'write the registered model version number MLflow shows, e.g. version: 3' });
      }
      continue;
    }
    const name = a.policy!;
    const policy = ctx.get('PromotionPolicy', name);
    if (!policy) {
      problems.push({
        code: 'unknown-policy',
        path: [...path, 'policy'],
        summary: `promotion policy "${name}" is not declared`,
        hint: suggestHint(name, ctx.ofKind('PromotionPolicy').map((p) => p.name), `add a document with kind: PromotionPolicy, name: ${name}, model: ${r.name}, target: ${alias}`),
      });
      continue;
    }
    const pm = String(policy.spec.model);
    const pt = String(policy.spec.target);
    if (pm !== r.name || pt !== alias) {
      const what = pm !== r.name && pt !== alias ? `moves alias "${pt}" of model "${pm}"` : pm !== r.name ? `belongs to model "${pm}"` : `moves alias "${pt}", not "${alias}"`;
      problems.push({
        code: 'policy-mismatch',
        path: [...path, 'policy'],
        summary: `alias "${alias}" is delegated to policy "${name}", but that policy ${what}`,
        detail: policy.source ? `${name} is declared at ${policy.source.file}:${policy.source.line}` : undefined,
        hint: `in policy ${name} set model: ${r.name} and target: ${alias}, or name the right policy here`,
      });
    }
  }
  return problems;
}

/** Two resources that would manage the same registered model in MLflow. */
function groupRules(resources: readonly Resource[], ctx: RuleContext): ResourceProblem[] {
  const out: ResourceProblem[] = [];
  const byName = new Map<string, Resource[]>();
  for (const r of resources) {
    const n = String(r.spec.mlflowName);
    byName.set(n, [...(byName.get(n) ?? []), r]);
  }
  // The path of the MLflow name: mlflowName, or name when it was defaulted (or written the same).
  const pathOf = (r: Resource) => (r.spec.mlflowName === r.name ? ['name'] : ['mlflowName']);
  for (const [mlflowName, list] of byName) {
    if (list.length > 1) {
      for (const r of list) {
        const others = list.filter((o) => o !== r);
        out.push({
          resource: r,
          problem: {
            code: 'duplicate-mlflow-name',
            path: pathOf(r),
            summary: `models ${[r, ...others].map((x) => `"${x.name}"`).join(' and ')} both manage the MLflow registered model "${mlflowName}"`,
            detail: others.map((o) => (o.source ? `${o.name} is declared at ${o.source.file}:${o.source.line}` : o.name)).join('; '),
            hint: 'declare each registered model once; give the other one its own mlflowName',
          },
        });
      }
    }
    // A prompt mirrored into MLflow's prompt registry is a registered model of the same name.
    const prompt = ctx.ofKind('Prompt').find((p) => (p.spec.mlflow as JsonObject | undefined)?.mirror === true && p.name === mlflowName);
    if (prompt) {
      for (const r of list) {
        out.push({
          resource: r,
          problem: {
            code: 'duplicate-mlflow-name',
            path: pathOf(r),
            summary: `model "${r.name}" uses the MLflow name "${mlflowName}", which prompt "${prompt.name}" is mirrored to`,
            detail: prompt.source ? `the prompt is declared at ${prompt.source.file}:${prompt.source.line}` : undefined,
            hint: 'MLflow keeps prompts as registered models: set a different mlflowName on the model',
          },
        });
      }
    }
  }
  return out;
}

export const modelKind: KindDef = {
  kind: 'Model',
  schemaFile: 'model.schema.json',
  table: modelTable,
  normalise,
  rules,
  groupRules,
};
