/**
 * The registry planner: desired Models and PromotionPolicies against what MLflow holds → the steps
 * that converge MLflow and each policy's decision. Pure: MLflow is read beforehand (observe.ts).
 */
import { canonicalJson, sha256 } from '../../core/hash.js';
import type { PathProblem } from '../../core/pointer.js';
import type { JsonObject, Resource } from '../../core/types.js';
import { evaluateGates, gatesPassed } from '../../core/gates/index.js';
import type { GateResult, ObservedModel, ObservedVersion, PromotionDecision, RegistryModelState, RegistryNote, RegistryObservation, RegistryStep } from '../../core/registry.js';

export interface RegistryPlanInput {
  /** The desired resources (only Model and PromotionPolicy are read). */
  desired: readonly Resource[];
  /** Model specs as last applied, by name: tags removed from a spec are deleted in MLflow. */
  previous: ReadonlyMap<string, JsonObject>;
  observation: RegistryObservation;
  nowMs: number;
}

export interface RegistryPlanOutput {
  models: RegistryModelState[];
  steps: RegistryStep[];
  decisions: PromotionDecision[];
  notes: RegistryNote[];
  problems: Array<{ resource: Resource; problem: PathProblem }>;
}

type AliasSpec = { version: string } | { policy: string };

const byName = (a: Resource, b: Resource) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export function mlflowNameOf(model: Resource): string {
  return typeof model.spec.mlflowName === 'string' ? model.spec.mlflowName : model.name;
}

/** Hash of what MLflow holds for one model; a saved plan is stale when it moved. */
export function observedFingerprint(o: ObservedModel | undefined): string {
  if (!o) return 'unread';
  const versions = [...o.versions]
    .sort((a, b) => Number(a.version) - Number(b.version))
    .map((v) => ({ v: v.version, s: v.status, r: v.runId, t: v.tags }));
  return sha256(canonicalJson({ e: o.exists, p: o.isPrompt, d: o.description, t: o.tags, a: o.aliases, v: versions } as never)).slice(0, 16);
}

/** How a policy picks its candidate, in words. */
export function candidateRule(policy: JsonObject): string {
  const c = policy.candidate as { alias?: string; newest?: { tags?: Record<string, string> } };
  if (c.alias) return `alias ${c.alias}`;
  const tags = Object.entries(c.newest?.tags ?? {}).map(([k, v]) => `${k}=${v}`);
  return tags.length > 0 ? `newest ready version with ${tags.join(', ')}` : 'newest ready version';
}

/** The version a policy would promote, or why there is none. */
export function selectCandidate(policy: JsonObject, o: ObservedModel): { version: ObservedVersion } | { none: string } {
  const c = policy.candidate as { alias?: string; newest?: { tags?: Record<string, string> } };
  if (c.alias) {
    const v = o.aliases[c.alias];
    if (v === undefined) return { none: `alias ${c.alias} is not set in MLflow` };
    const found = o.versions.find((x) => x.version === v);
    return found ? { version: found } : { none: `alias ${c.alias} points at version ${v}, which MLflow does not list` };
  }
  const want = Object.entries(c.newest?.tags ?? {});
  const matching = o.versions.filter((v) => v.status === 'READY' && want.every(([k, val]) => v.tags[k] === val));
  if (matching.length === 0) return { none: `no ready version ${want.length > 0 ? `has ${want.map(([k, v]) => `${k}=${v}`).join(', ')}` : 'exists'}` };
  return { version: matching.reduce((a, b) => (Number(b.version) > Number(a.version) ? b : a)) };
}

/** Whether a policy reads run metrics (any metric gate). */
function needsMetrics(policy: JsonObject): boolean {
  const gates = (policy.gates ?? {}) as { metrics?: unknown[] };
  return Array.isArray(gates.metrics) && gates.metrics.length > 0;
}

/** The runs whose metrics planning needs: each policy's candidate and the version at its target alias. */
export function runsNeeded(desired: readonly Resource[], models: ReadonlyMap<string, ObservedModel>, lastSet?: ReadonlyMap<string, string>): string[] {
  const out = new Set<string>();
  for (const p of desired) {
    if (p.kind !== 'PromotionPolicy' || !needsMetrics(p.spec)) continue;
    const o = models.get(String(p.spec.model));
    if (!o?.exists) continue;
    const picked = selectCandidate(p.spec, o);
    if ('version' in picked && picked.version.runId) out.add(picked.version.runId);
    const incumbent = o.aliases[String(p.spec.target)];
    const iv = incumbent !== undefined ? o.versions.find((v) => v.version === incumbent) : undefined;
    if (iv?.runId) out.add(iv.runId);
    // A candidate moved onto the target by hand is compared with the version labctl had set.
    const expected = lastSet?.get(`${p.spec.model}/${p.spec.target}`);
    const ev = expected !== undefined ? o.versions.find((v) => v.version === expected) : undefined;
    if (ev?.runId && 'version' in picked && picked.version.version === incumbent) out.add(ev.runId);
  }
  return [...out].sort();
}

function metricsOf(v: ObservedVersion | undefined, runs: RegistryObservation['runs']): Record<string, number> | null {
  if (!v?.runId) return null;
  return runs.get(v.runId) ?? null;
}

/** Plan the registry. Pure. */
export function planRegistry(input: RegistryPlanInput): RegistryPlanOutput {
  const { observation: obs } = input;
  const models = input.desired.filter((r) => r.kind === 'Model').sort(byName);
  const policies = input.desired.filter((r) => r.kind === 'PromotionPolicy').sort(byName);
  const out: RegistryPlanOutput = { models: [], steps: [], decisions: [], notes: [], problems: [] };

  for (const m of models) {
    const mlflowName = mlflowNameOf(m);
    const o = obs.models.get(m.name);
    out.models.push({ model: m.name, mlflowName, exists: Boolean(o?.exists), fingerprint: observedFingerprint(o) });
    if (!o) continue;
    const base = { model: m.name, mlflowName };
    if (o.isPrompt) {
      out.problems.push({
        resource: m,
        problem: {
          code: 'mlflow-name-is-prompt',
          path: m.spec.mlflowName !== m.name ? ['mlflowName'] : [],
          summary: `MLflow's registered model "${mlflowName}" is a prompt (tag mlflow.prompt.is_prompt), not a model`,
          hint: 'give this Model another mlflowName; labctl never writes model aliases into a prompt',
        },
      });
      continue;
    }
    const spec = m.spec;
    const tags = (spec.tags ?? {}) as Record<string, string>;
    const aliases = (spec.aliases ?? {}) as Record<string, AliasSpec>;
    const description = typeof spec.description === 'string' ? spec.description : undefined;

    if (!o.exists) {
      out.steps.push({ ...base, op: 'create-model', ...(description !== undefined ? { description } : {}), tags });
    } else {
      if (description !== undefined && o.description !== description) out.steps.push({ ...base, op: 'set-description', description, before: o.description });
      for (const [key, value] of Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (o.tags[key] !== value) out.steps.push({ ...base, op: 'set-model-tag', key, value, ...(o.tags[key] !== undefined ? { before: o.tags[key] } : {}) });
      }
      const before = (input.previous.get(m.name)?.tags ?? {}) as Record<string, string>;
      for (const key of Object.keys(before).sort()) {
        if (!(key in tags) && o.tags[key] !== undefined) out.steps.push({ ...base, op: 'delete-model-tag', key, before: o.tags[key]! });
      }
    }

    // Pinned aliases: git names the version, so a hand move is always put back.
    for (const [alias, a] of Object.entries(aliases).sort(([x], [y]) => (x < y ? -1 : 1))) {
      if (!('version' in a)) continue;
      if (!o.versions.some((v) => v.version === a.version)) {
        out.problems.push({
          resource: m,
          problem: {
            code: 'pinned-version-missing',
            path: ['aliases', alias, 'version'],
            summary: `alias ${alias} is pinned to version ${a.version} of "${mlflowName}", which ${o.exists ? 'MLflow does not have' : 'cannot exist: the registered model does not exist yet'}`,
            hint: o.exists ? `pin a version MLflow lists (${o.versions.map((v) => v.version).slice(-5).join(', ') || 'none yet'})` : 'register a version first, or remove the pin until one exists',
          },
        });
        continue;
      }
      const current = o.aliases[alias] ?? null;
      if (current === a.version) continue;
      const drift = obs.lastSet.get(`${m.name}/${alias}`) === a.version;
      out.steps.push({ ...base, op: 'set-alias', alias, version: a.version, from: current, reason: drift ? 'restore' : 'pin', ...(drift ? { drift: true } : {}) });
      if (drift) out.notes.push({ model: m.name, level: 'warning', message: `alias ${alias} was moved by hand to ${current === null ? 'nothing' : `version ${current}`}; it is pinned to version ${a.version}, apply puts it back` });
    }

    for (const p of policies.filter((x) => x.spec.model === m.name)) {
      const d = decide(p, m.name, mlflowName, o, obs, input.nowMs);
      out.decisions.push(d.decision);
      if (d.step) out.steps.push(d.step);
      if (d.note) out.notes.push(d.note);
    }
  }
  return out;
}

function decide(
  p: Resource,
  model: string,
  mlflowName: string,
  o: ObservedModel,
  obs: RegistryObservation,
  nowMs: number,
): { decision: PromotionDecision; step?: RegistryStep; note?: RegistryNote } {
  const target = String(p.spec.target);
  const onDrift = p.spec.onDrift === 'restore' ? 'restore' : 'report';
  const incumbent = o.aliases[target] ?? null;
  const expected = obs.lastSet.get(`${model}/${target}`);
  const drifted = expected !== undefined && incumbent !== expected;
  const d: PromotionDecision = { policy: p.name, model, mlflowName, target, outcome: 'no-candidate', candidateRule: candidateRule(p.spec), candidate: null, incumbent, gates: [], message: '' };
  const base = { model, mlflowName };
  const was = incumbent === null ? 'nothing' : `version ${incumbent}`;
  const driftLine = `${target} was moved by hand to ${was} (labctl last set version ${expected})`;

  const restore = (why: string): { decision: PromotionDecision; step?: RegistryStep; note?: RegistryNote } => {
    if (onDrift === 'restore' && expected !== undefined && o.versions.some((v) => v.version === expected)) {
      d.outcome = 'restore';
      d.message = `${driftLine}; ${why}, and onDrift: restore puts version ${expected} back`;
      return { decision: d, step: { ...base, op: 'set-alias', alias: target, version: expected, from: incumbent, reason: 'restore', policy: p.name, drift: true } };
    }
    d.outcome = 'held';
    d.message = `${driftLine}; ${why}; onDrift: ${onDrift} ${onDrift === 'report' ? 'only reports it' : 'cannot restore a version MLflow no longer lists'}`;
    return { decision: d, note: { model, level: 'warning', message: `policy ${p.name}: ${d.message}` } };
  };

  if (!o.exists) {
    d.outcome = 'waiting';
    d.message = `registered model "${mlflowName}" does not exist in MLflow yet`;
    return { decision: d };
  }
  const picked = selectCandidate(p.spec, o);
  if (!('version' in picked)) {
    if (drifted) return restore(`no candidate (${picked.none})`);
    d.outcome = 'no-candidate';
    d.message = `no candidate: ${picked.none}`;
    return { decision: d };
  }
  const cand = picked.version;
  d.candidate = cand.version;
  if (cand.version === incumbent && !drifted) {
    d.outcome = 'current';
    d.message = `version ${cand.version} (${d.candidateRule}) already holds ${target}`;
    return { decision: d };
  }
  // The candidate is what labctl promoted before and someone moved the alias away from it: a
  // deliberate hand rollback is not undone by re-promoting the same version.
  if (drifted && cand.version === expected) return restore(`the candidate is that same version ${cand.version}`);
  if (cand.status !== 'READY') {
    d.outcome = 'blocked';
    d.message = `version ${cand.version} (${d.candidateRule}) is ${cand.status}, not READY`;
    return drifted ? restore(d.message) : { decision: d };
  }
  // Relative gates compare with the version at the target alias; when the candidate was put there
  // by hand, with the version labctl had put there.
  const baseline = cand.version === incumbent && drifted ? (expected ?? null) : incumbent;
  const baselineVersion = baseline !== null ? o.versions.find((v) => v.version === baseline) : undefined;
  const gates: GateResult[] = evaluateGates(
    p.spec,
    { version: cand.version, createdAt: cand.createdAt, tags: cand.tags, metrics: metricsOf(cand, obs.runs) },
    baseline !== null ? { version: baseline, metrics: metricsOf(baselineVersion, obs.runs) } : undefined,
    nowMs,
  );
  d.gates = gates;
  if (cand.version === incumbent) {
    // Moved by hand onto the candidate: accepted when it passes the gates, else a bypass of them.
    if (gatesPassed(gates)) {
      d.outcome = 'current';
      d.message = `version ${cand.version} (${d.candidateRule}) holds ${target}: moved there by hand, and it passes the gates`;
      return { decision: d, note: { model, level: 'warning', message: `policy ${p.name}: ${driftLine}; it passes the gates, so it is kept` } };
    }
    return restore(`the candidate was moved there by hand but fails ${gates.filter((g) => !g.passed).length} gate(s)`);
  }
  if (!gatesPassed(gates)) {
    const failed = gates.filter((g) => !g.passed).length;
    d.outcome = 'blocked';
    d.message = `version ${cand.version} (${d.candidateRule}) is blocked: ${failed} of ${gates.length} gate${gates.length === 1 ? '' : 's'} failed`;
    return drifted ? restore(`the candidate is blocked`) : { decision: d };
  }
  d.outcome = 'promote';
  d.message = `promote version ${cand.version} (${d.candidateRule}) to ${target}${incumbent === null ? '' : `, replacing version ${incumbent}`}`;
  return {
    decision: d,
    step: { ...base, op: 'set-alias', alias: target, version: cand.version, from: incumbent, reason: 'promotion', policy: p.name, gates, ...(drifted ? { drift: true } : {}) },
    ...(drifted ? { note: { model, level: 'warning' as const, message: `policy ${p.name}: ${driftLine}; a new candidate passed its gates and is promoted` } } : {}),
  };
}
