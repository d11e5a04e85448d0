/**
 * The one plan pipeline: observe (the database or a git ref, MLflow, the pending journal) → pure
 * assemble → Plan. `plan`, `plan --base`, `apply`, `watch` and saved plan files all go through it,
 * so they carry the same changes, external steps and warnings (docs/architecture.md#the-plan-pipeline).
 */
import { diff, massArchives } from '../../core/diff.js';
import { specHash } from '../../core/hash.js';
import { problemToDiagnostic } from '../../core/pointer.js';
import type { ActualResource, Diagnostic, Plan, PlanDecision, Resource, SourceRange } from '../../core/types.js';
import type { Queryable } from '../../core/db.js';
import { readSpecsAtRef } from '../../adapters/git/specs-at-ref.js';
import { computeDecisions } from '../../adapters/results/compute.js';
import { countPending } from '../../adapters/state/journal.js';
import { readActualState } from '../../adapters/state/state.js';
import { KINDS } from '../../kinds/index.js';
import type { KindDef } from '../../kinds/types.js';
import { SpecLoader } from '../load/validate.js';
import { assembleRegistry, observeRegistryState, type RegistryContext, type RegistryObserved } from './registry.js';

/** Where the actual state comes from: the state store, or the specs at a git ref (a pull request's plan, no database). */
export type PlanBase = { kind: 'database'; q: Queryable } | { kind: 'git-ref'; dir: string; ref: string };

/** The desired side: validated resources, and the loader's diagnostics (warnings) when known. */
export interface PlanDesired {
  resources: readonly Resource[];
  diagnostics?: readonly Diagnostic[];
  locate?: (resource: Resource, path: ReadonlyArray<string | number>) => SourceRange | undefined;
}

export interface PlanOptions {
  prune: boolean;
  gitSha: string;
  /** The spec files differ from gitSha (uncommitted edits): recorded in the plan and the run. */
  gitDirty?: boolean;
  now: () => Date;
  /** Plan Models and PromotionPolicies against MLflow (or report them skipped); absent: left out. */
  registry?: RegistryContext;
  /** The mass-archive guard was lifted (apply --allow-mass-archive): the warning says so. */
  allowMassArchive?: boolean;
  /** The kinds, in apply order (default: every kind labctl knows). */
  kinds?: readonly KindDef[];
  /** Compute the decisions of running experiments that declare one (`labctl plan`; not inside apply's lock). */
  decisions?: boolean;
  /** Where the decisions' aggregates run, when not on the state store: a results read replica. */
  aggregateOn?: Queryable;
}

/** Everything read from the outside world to make a plan. */
export interface Observation {
  actual: ActualResource[];
  registry?: RegistryObserved;
  /** MLflow steps earlier applies left pending (database base only). */
  pendingSteps: number;
  /** A git-ref base: the ref, its commit and how many errors its specs have. */
  base?: { ref: string; commit: string; errors: number };
  decisions?: PlanDecision[];
  /** Experiments whose result could not be computed, and why. */
  decisionErrors?: Array<{ experiment: string; message: string }>;
}

/** A plan, the actual state it was made against, and the MLflow aliases read on the way. */
export interface MadePlan {
  plan: Plan;
  actual: ActualResource[];
  /** What each existing managed model's aliases point at now (recorded by apply for the runtime). */
  aliases?: Map<string, Record<string, string>>;
}

/** The specs at a git ref, as if they were the applied state (each its own recorded hash, generation 1). */
async function observeGitRef(dir: string, ref: string, kinds: readonly KindDef[]): Promise<{ actual: ActualResource[]; base: NonNullable<Observation['base']> }> {
  const at = await readSpecsAtRef(dir, ref);
  const state = new SpecLoader(kinds).load(at.files);
  const actual = state.resources.map((r) => ({ kind: r.kind, name: r.name, spec: r.spec, recordedHash: specHash(r.spec), generation: 1, archived: false, gitSha: at.commit, appliedAt: '' }));
  return { actual, base: { ref, commit: at.commit, errors: state.diagnostics.filter((d) => d.severity === 'error').length } };
}

/** Read what a plan needs (I/O). Inside apply, base.q is the locked transaction. */
export async function observe(base: PlanBase, desired: PlanDesired, opts: Pick<PlanOptions, 'registry' | 'kinds' | 'decisions' | 'aggregateOn'>): Promise<Observation> {
  if (base.kind === 'git-ref') {
    const { actual, base: ref } = await observeGitRef(base.dir, base.ref, opts.kinds ?? KINDS);
    // Promotions are worth reviewing in the pull request too: MLflow is read when it is configured.
    const registry = opts.registry ? await observeRegistryState(undefined, desired.resources, opts.registry) : undefined;
    return { actual, registry, pendingSteps: 0, base: ref };
  }
  const actual = await readActualState(base.q, opts.kinds);
  const registry = opts.registry ? await observeRegistryState(base.q, desired.resources, opts.registry) : undefined;
  const observation: Observation = { actual, registry, pendingSteps: await countPending(base.q) };
  if (opts.decisions) {
    const { decisions, errors } = await computeDecisions(base.q, { aggregateOn: opts.aggregateOn });
    Object.assign(observation, { decisions, decisionErrors: errors });
  }
  return observation;
}

/** The warnings every plan carries, whoever made it. */
function planWarnings(plan: Plan, observation: Observation, opts: PlanOptions): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (observation.pendingSteps > 0) {
    out.push({
      severity: 'warning',
      code: 'mlflow-steps-pending',
      summary: `${observation.pendingSteps} MLflow step(s) of an earlier apply are still pending; this plan does not include their effect`,
      hint: 'labctl apply completes them first (or run labctl apply --resume)',
    });
  }
  const base = observation.base;
  if (base && base.errors > 0) {
    out.push({
      severity: 'warning',
      code: 'base-invalid',
      summary: `the specs at ${base.ref} (${base.commit.slice(0, 12)}) have ${base.errors} error(s); resources that failed there are compared as new`,
      hint: `run labctl validate on ${base.ref} to see them`,
    });
  }
  for (const m of massArchives(plan, observation.actual)) {
    out.push({
      severity: 'warning',
      code: 'mass-archive',
      summary: `this plan archives ${m.archived} of ${m.active} ${m.kind} resources; ${opts.allowMassArchive ? 'allowed by --allow-mass-archive' : 'apply will refuse without --allow-mass-archive'}`,
      hint: 'check --dir points at the right directory',
    });
  }
  for (const e of observation.decisionErrors ?? []) {
    out.push({ severity: 'warning', code: 'results-unavailable', summary: `the result of experiment "${e.experiment}" could not be computed: ${e.message}`, hint: `run labctl report ${e.experiment} to see the error` });
  }
  return out;
}

/** Turn an observation into a plan: the diff, the registry's steps, every warning (pure). */
export function assemble(desired: PlanDesired, observation: Observation, opts: PlanOptions): MadePlan {
  const now = opts.now();
  const plan = diff(desired.resources, observation.actual, { prune: opts.prune, gitSha: opts.gitSha, now: now.toISOString(), kinds: opts.kinds ?? KINDS, locate: desired.locate });
  const registry = assembleRegistry(desired.resources, observation.registry, observation.actual, now.getTime());
  const registryProblems = (registry?.problems ?? []).map(({ resource, problem }) => problemToDiagnostic(problem, desired.locate?.(resource, problem.path)));
  if (registry) plan.registry = registry.registry;
  plan.diagnostics = [...(desired.diagnostics ?? []), ...plan.diagnostics, ...registryProblems, ...planWarnings(plan, observation, opts)];
  if (observation.base) plan.base_ref = observation.base.ref;
  if (observation.decisions) plan.decisions = observation.decisions;
  if (opts.gitDirty) plan.git_dirty = true;
  return { plan, actual: observation.actual, aliases: registry?.aliases };
}

/** Observe, then assemble: the plan of desired against base. */
export async function makePlan(base: PlanBase, desired: PlanDesired, opts: PlanOptions): Promise<MadePlan> {
  return assemble(desired, await observe(base, desired, opts), opts);
}
