import { suggestHint } from '../../core/suggest.js';
import type { JsonObject, Resource } from '../../core/types.js';
import type { VariableShape } from '../../engine/evaluation/inputs.js';
import { TARGET_KINDS, type TargetKind } from '../../engine/evaluation/spec.js';
import { promptRef } from '../experiment/kind.js';
import { flowRef } from '../flow/variant-ref.js';
import { reservedAliasProblem } from '../model/kind.js';
import type { RuleContext, RuleProblem } from '../types.js';

/** What the rows must give the target, as far as the rules can tell. */
export interface TargetNeeds {
  kind: TargetKind | undefined;
  /** Prompts whose variables every row must supply (one per prompt variant of an experiment). */
  prompts: Array<{ name: string; variables: Record<string, VariableShape> }>;
  /** Rows are a flow's input (messages and slots). */
  flow: boolean;
  /** The price of a prompt target's model, when it declares one (cost is known only then). */
  priced?: boolean;
}

/** Which target fields go with which kind of target. */
const FIELDS_OF: Record<TargetKind, readonly string[]> = { prompt: ['output'], flow: [], experiment: ['output'], model: ['alias', 'version', 'server'] };

const fix = (name: string, kind: string) => `add a document with kind: ${kind} and name: ${name}`;

/** A prompt or flow reference `NAME` or `NAME@VERSION`: well-formed and declared (a pinned version other than the current one is a warning). */
function referenced(kind: 'Prompt' | 'Flow', ref: string, path: string[], ctx: RuleContext, problems: RuleProblem[]): Resource | undefined {
  const field = kind.toLowerCase();
  const parsed = kind === 'Prompt' ? promptRef({ prompt: ref }) : flowRef({ flow: ref });
  if (!parsed) {
    const example = kind === 'Prompt' ? 'refund-decision' : 'refund-request';
    problems.push({ code: `invalid-${field}-ref`, path, summary: `a ${field} reference must be NAME or NAME@VERSION (a hex prefix of at least 6 characters)`, hint: `write ${field}: ${example} or ${field}: ${example}@3fa2c1` });
    return undefined;
  }
  const found = ctx.get(kind, parsed.name);
  if (!found) {
    problems.push({ code: `unknown-${field}`, path, summary: `${field} "${parsed.name}" is not declared`, hint: suggestHint(parsed.name, ctx.ofKind(kind).map((x) => x.name), fix(parsed.name, kind)) });
    return undefined;
  }
  if (parsed.version && !String(found.spec.version).startsWith(parsed.version)) {
    problems.push({ severity: 'warning', code: `pinned-${field}-version`, path, summary: `${field} "${parsed.name}" is pinned to version ${parsed.version}, not the current ${String(found.spec.version).slice(0, 12)}`, hint: 'the pinned version must have been applied before, or the run cannot load it' });
  }
  return found;
}

function promptTarget(ref: string, path: string[], ctx: RuleContext, needs: TargetNeeds, problems: RuleProblem[]): void {
  const prompt = referenced('Prompt', ref, path, ctx, problems);
  if (!prompt) return;
  const model = prompt.spec.model as JsonObject | undefined;
  if (model === undefined) {
    problems.push({ code: 'prompt-without-model', path, summary: `prompt "${prompt.name}" names no model, so there is nothing to evaluate`, hint: `add model: { provider: anthropic, name: claude-sonnet-4-5 } (or openai, or scripted for offline runs) to prompt ${prompt.name}` });
  }
  needs.prompts.push({ name: prompt.name, variables: (prompt.spec.variables ?? {}) as unknown as Record<string, VariableShape> });
  needs.priced = model?.price !== undefined;
}

function experimentTarget(name: string, path: string[], ctx: RuleContext, needs: TargetNeeds, problems: RuleProblem[]): void {
  const experiment = ctx.get('Experiment', name);
  if (!experiment) {
    problems.push({ code: 'unknown-experiment', path, summary: `experiment "${name}" is not declared`, hint: suggestHint(name, ctx.ofKind('Experiment').map((e) => e.name), fix(name, 'Experiment')) });
    return;
  }
  for (const v of experiment.spec.variants as Array<{ key: string; value?: unknown }>) {
    const p = promptRef(v.value);
    const f = flowRef(v.value);
    if (p) {
      const prompt = ctx.get('Prompt', p.name);
      if (prompt) needs.prompts.push({ name: p.name, variables: (prompt.spec.variables ?? {}) as unknown as Record<string, VariableShape> });
    } else if (f) needs.flow = true;
    // A malformed or unknown reference is the experiment's own diagnostic.
    else if (p === undefined && f === undefined) {
      problems.push({ code: 'variant-without-target', path, summary: `variant "${v.key}" of experiment "${name}" runs no prompt or flow, so it has nothing to evaluate`, hint: `give every variant a value: { prompt: NAME } or { flow: NAME }, or evaluate its prompts one by one` });
    }
  }
  if (needs.flow && needs.prompts.length > 0) {
    problems.push({ code: 'mixed-experiment-target', path, summary: `experiment "${name}" mixes prompt and flow variants; one dataset cannot feed both`, hint: 'evaluate the prompt variants and the flow variants in two evaluations, each naming its prompt or flow' });
  }
}

function modelTarget(t: JsonObject, ctx: RuleContext, problems: RuleProblem[]): void {
  const name = String(t.model);
  const model = ctx.get('Model', name);
  if (!model) {
    problems.push({ code: 'unknown-model', path: ['target', 'model'], summary: `model "${name}" is not declared`, hint: suggestHint(name, ctx.ofKind('Model').map((m) => m.name), fix(name, 'Model')) });
  }
  if ((t.alias === undefined) === (t.version === undefined)) {
    const both = t.alias !== undefined;
    problems.push({ code: 'model-target-version', path: ['target'], summary: both ? 'a model target names both an alias and a version; it scores one of them' : 'a model target needs the version to score: an alias or a version', hint: both ? 'keep alias: to score whatever version it points at, or version: to score that one' : `write alias: challenger (the candidate a promotion policy looks at) or version: 3` });
    return;
  }
  if (t.version !== undefined && (typeof t.version !== 'string' || !/^[1-9][0-9]{0,17}$/.test(t.version))) {
    problems.push({ code: 'invalid-model-version', path: ['target', 'version'], summary: `version must be a positive whole number, got ${JSON.stringify(t.version)}`, hint: 'write the registered model version number MLflow shows, e.g. version: 3' });
  }
  if (t.alias === undefined || !model) return;
  const alias = String(t.alias);
  const reserved = reservedAliasProblem(alias, ['target', 'alias'], 'alias');
  if (reserved) problems.push(reserved);
  else {
    const declared = Object.hasOwn((model.spec.aliases ?? {}) as object, alias);
    const candidate = ctx.ofKind('PromotionPolicy').some((p) => p.spec.model === name && (p.spec.candidate as { alias?: string } | undefined)?.alias === alias);
    if (!declared && !candidate) {
      problems.push({ severity: 'warning', code: 'unmanaged-model-alias', path: ['target', 'alias'], summary: `model "${name}" does not declare alias "${alias}" and no promotion policy takes it as candidate`, hint: `score an alias the model declares or a policy's candidate alias, or pin a version: version: 3` });
    }
  }
}

/** The target names exactly one prompt, flow, experiment or model that exists, with only its own fields. */
export function targetProblems(r: Resource, ctx: RuleContext): { problems: RuleProblem[]; needs: TargetNeeds } {
  const t = r.spec.target as JsonObject;
  const problems: RuleProblem[] = [];
  const needs: TargetNeeds = { kind: undefined, prompts: [], flow: false };
  const kinds = TARGET_KINDS.filter((k) => t[k] !== undefined);
  if (kinds.length !== 1) {
    problems.push({ code: 'target-kind', path: ['target'], summary: kinds.length === 0 ? 'the target names nothing to evaluate' : `the target names ${kinds.join(' and ')}; it must name exactly one`, hint: 'write one of prompt: NAME, flow: NAME, experiment: NAME or model: NAME (with alias: or version:)' });
    return { problems, needs };
  }
  const kind = kinds[0]!;
  needs.kind = kind;
  for (const field of Object.keys(t)) {
    if (field !== kind && !FIELDS_OF[kind].includes(field)) {
      const owners = TARGET_KINDS.filter((k) => FIELDS_OF[k].includes(field));
      problems.push({ code: 'misplaced-field', path: ['target', field], summary: `a ${kind} target takes no ${field}`, hint: `${field} goes with a ${owners.join(' or ')} target: remove it here` });
    }
  }
  const ref = String(t[kind]);
  if (kind === 'prompt') promptTarget(ref, ['target', 'prompt'], ctx, needs, problems);
  else if (kind === 'flow') {
    needs.flow = true;
    referenced('Flow', ref, ['target', 'flow'], ctx, problems);
  } else if (kind === 'experiment') experimentTarget(ref, ['target', 'experiment'], ctx, needs, problems);
  else modelTarget(t, ctx, problems);
  return { problems, needs };
}
