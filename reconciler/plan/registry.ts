/**
 * The model registry (MLflow) side of the plan pipeline: observe MLflow, assemble the steps and
 * promotion decisions. Apply journals the steps; reconciler/external/ runs them after the commit.
 */
import type { PathProblem } from '../../core/pointer.js';
import type { ActualResource, JsonObject, Resource } from '../../core/types.js';
import type { Queryable } from '../../core/db.js';
import { MlflowClient, type MlflowClientOptions } from '../../adapters/mlflow/client.js';
import { mlflowConfigFromEnv } from '../../adapters/mlflow/config.js';
import { observeModels, observeRegistry } from './registry-observe.js';
import { observedFingerprint, planRegistry } from './registry-assemble.js';
import type { RegistryPlan } from '../../core/registry.js';

export { planRegistry, runsNeeded } from './registry-assemble.js';
export { observeModels, readLastSet, modelRefs } from './registry-observe.js';

/** How plan and apply reach the model registry: a client, or none when MLFLOW_TRACKING_URI is unset. */
export interface RegistryContext {
  client?: MlflowClient;
}

/** The registry context of an environment; throws MlflowError (INVALID_CONFIG) for an unusable URI. */
export function registryContextFromEnv(env: NodeJS.ProcessEnv, extra: Pick<MlflowClientOptions, 'fetch' | 'sleep' | 'signal'> = {}): RegistryContext {
  const config = mlflowConfigFromEnv(env);
  return config ? { client: MlflowClient.fromConfig(config, extra) } : {};
}

/** Whether desired declares anything the registry manages. */
export function declaresRegistry(desired: readonly Resource[]): boolean {
  return desired.some((r) => r.kind === 'Model' || r.kind === 'PromotionPolicy');
}

function declared(desired: readonly Resource[]): RegistryPlan['declared'] {
  const names = (kind: string) => desired.filter((r) => r.kind === kind).map((r) => r.name).sort();
  return { models: names('Model'), policies: names('PromotionPolicy') };
}

export interface RegistryPlanResult {
  registry: RegistryPlan;
  problems: Array<{ resource: Resource; problem: PathProblem }>;
  /** What each existing managed model's aliases point at now, by labctl model name. */
  aliases: Map<string, Record<string, string>>;
}

/** What was read of MLflow for a plan: nothing (not configured) or the observation and its cost. */
export type RegistryObserved =
  | { configured: false }
  | { configured: true; observation: Awaited<ReturnType<typeof observeRegistry>>; trackingUri: string; requests: number };

/**
 * Read MLflow for desired's models and policies (undefined when it declares none). An unreachable
 * server throws its MlflowError (plan fails with that one line).
 */
export async function observeRegistryState(
  /** The state store, for labctl's last alias moves (drift); undefined for `plan --base`. */
  q: Queryable | undefined,
  desired: readonly Resource[],
  ctx: RegistryContext,
): Promise<RegistryObserved | undefined> {
  if (!declaresRegistry(desired)) return undefined;
  if (!ctx.client) return { configured: false };
  const client = ctx.client;
  const before = client.stats.requests;
  const observation = await observeRegistry(client, q, desired);
  return { configured: true, observation, trackingUri: client.trackingUri, requests: client.stats.requests - before };
}

/** The registry part of a plan from what was observed (pure). */
export function assembleRegistry(desired: readonly Resource[], observed: RegistryObserved | undefined, actual: readonly ActualResource[], nowMs: number): RegistryPlanResult | undefined {
  if (!observed) return undefined;
  if (!observed.configured) {
    return {
      registry: { status: 'skipped', reason: 'MLflow not configured', declared: declared(desired), models: [], steps: [], decisions: [], notes: [] },
      problems: [],
      aliases: new Map(),
    };
  }
  const previous = new Map<string, JsonObject>(actual.filter((a) => a.kind === 'Model' && !a.archived).map((a) => [a.name, a.spec]));
  const out = planRegistry({ desired, previous, observation: observed.observation, nowMs });
  const aliases = new Map<string, Record<string, string>>();
  for (const [model, o] of observed.observation.models) if (o.exists && !o.isPrompt) aliases.set(model, o.aliases);
  return {
    registry: {
      status: 'planned',
      trackingUri: observed.trackingUri,
      declared: declared(desired),
      models: out.models,
      steps: out.steps,
      decisions: out.decisions,
      notes: out.notes,
      requests: observed.requests,
    },
    problems: out.problems,
    aliases,
  };
}

/** Observe and assemble the registry in one call (undefined when desired declares no models or policies). */
export async function planRegistryState(
  q: Queryable | undefined,
  desired: readonly Resource[],
  ctx: RegistryContext,
  opts: { nowMs: number; actual: readonly ActualResource[] },
): Promise<RegistryPlanResult | undefined> {
  return assembleRegistry(desired, await observeRegistryState(q, desired, ctx), opts.actual, opts.nowMs);
}

/** Models of a saved plan whose MLflow state moved since planning (the plan is stale for them). */
export async function staleRegistryModels(client: MlflowClient, registry: RegistryPlan): Promise<string[]> {
  const touched = new Set(registry.steps.map((s) => s.model));
  const refs = registry.models.filter((m) => touched.has(m.model)).map((m) => ({ model: m.model, mlflowName: m.mlflowName }));
  const now = await observeModels(client, refs);
  return registry.models.filter((m) => touched.has(m.model) && observedFingerprint(now.get(m.model)) !== m.fingerprint).map((m) => m.model);
}
