/**
 * The model registry (MLflow) side of plan and apply: read MLflow, plan the steps and promotion
 * decisions, journal them in the apply's transaction, run them after the commit.
 */
import type { PathProblem } from '../core/pointer.js';
import type { ActualResource, JsonObject, Resource } from '../core/types.js';
import type { Queryable } from '../stores/db.js';
import { MlflowClient, type MlflowClientOptions } from '../stores/mlflow/client.js';
import { mlflowConfigFromEnv } from '../stores/mlflow/config.js';
import { observeModels, observeRegistry } from './observe.js';
import { observedFingerprint, planRegistry } from './plan.js';
import type { RegistryPlan } from './types.js';

export * from './types.js';
export { planRegistry, selectCandidate, candidateRule, runsNeeded, observedFingerprint, mlflowNameOf } from './plan.js';
export { observeRegistry, observeModels, observeRuns, readLastSet, modelRefs } from './observe.js';
export { writeJournal, readPending, markDone, markFailed, countPending, type JournalEntry } from './journal.js';
export { executeJournal, runStep, describeStep, PROMOTION_TAGS, RegistryConflictError, type ExecutionReport, type StepOutcome } from './execute.js';

/** The message plans and apply print when no tracking server is configured. */
export const REGISTRY_NOT_CONFIGURED = 'skipped: MLflow not configured';

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

/**
 * Plan the registry for desired (undefined when it declares no models or policies). Reads MLflow;
 * an unreachable server throws its MlflowError (plan fails with that one line).
 */
export async function planRegistryState(
  /** The state store, for labctl's last alias moves (drift); undefined for `plan --base`. */
  q: Queryable | undefined,
  desired: readonly Resource[],
  ctx: RegistryContext,
  opts: { nowMs: number; actual: readonly ActualResource[] },
): Promise<RegistryPlanResult | undefined> {
  if (!declaresRegistry(desired)) return undefined;
  if (!ctx.client) {
    return {
      registry: { status: 'skipped', reason: 'MLflow not configured', declared: declared(desired), models: [], steps: [], decisions: [], notes: [] },
      problems: [],
      aliases: new Map(),
    };
  }
  const client = ctx.client;
  const before = client.stats.requests;
  const observation = await observeRegistry(client, q, desired);
  const previous = new Map<string, JsonObject>(opts.actual.filter((a) => a.kind === 'Model' && !a.archived).map((a) => [a.name, a.spec]));
  const out = planRegistry({ desired, previous, observation, nowMs: opts.nowMs });
  const aliases = new Map<string, Record<string, string>>();
  for (const [model, o] of observation.models) if (o.exists && !o.isPrompt) aliases.set(model, o.aliases);
  return {
    registry: {
      status: 'planned',
      trackingUri: client.trackingUri,
      declared: declared(desired),
      models: out.models,
      steps: out.steps,
      decisions: out.decisions,
      notes: out.notes,
      requests: client.stats.requests - before,
    },
    problems: out.problems,
    aliases,
  };
}

/** Models of a saved plan whose MLflow state moved since planning (the plan is stale for them). */
export async function staleRegistryModels(client: MlflowClient, registry: RegistryPlan): Promise<string[]> {
  const touched = new Set(registry.steps.map((s) => s.model));
  const refs = registry.models.filter((m) => touched.has(m.model)).map((m) => ({ model: m.model, mlflowName: m.mlflowName }));
  const now = await observeModels(client, refs);
  return registry.models.filter((m) => touched.has(m.model) && observedFingerprint(now.get(m.model)) !== m.fingerprint).map((m) => m.model);
}
