/**
 * Reading what planning needs from MLflow: the managed registered models (one paged search for all
 * of them), their versions (one search per model, never a request per version), and the runs of the
 * versions that policies compare. The client caps concurrency itself.
 */
import type { Resource } from '../../core/types.js';
import type { Queryable } from '../../core/db.js';
import type { MlflowClient } from '../../adapters/mlflow/client.js';
import { isPromptEntry } from '../../adapters/mlflow/types.js';
import { filterLiteral, type ModelVersion, type RegisteredModel } from '../../adapters/mlflow/types.js';
import { mlflowNameOf, runsNeeded } from './registry-assemble.js';
import type { ObservedModel, RegistryObservation } from '../../core/registry.js';

/** A managed model to read: labctl's name and the registered model's name in MLflow. */
export interface ModelRef {
  model: string;
  mlflowName: string;
}

export function modelRefs(desired: readonly Resource[]): ModelRef[] {
  return desired.filter((r) => r.kind === 'Model').map((r) => ({ model: r.name, mlflowName: mlflowNameOf(r) }));
}

/**
 * Below this many models, one GET each is cheaper than a search page (up to 1000 entries of a
 * registry that may hold many models labctl does not manage).
 */
const SEARCH_THRESHOLD = 20;
/** Search pages read per this many managed models; names still missing afterwards are fetched one by one. */
const MODELS_PER_PAGE = 100;

function observed(rm: RegisteredModel | undefined, versions: readonly ModelVersion[]): Omit<ObservedModel, 'mlflowName'> {
  if (!rm) return { exists: false, isPrompt: false, description: '', tags: {}, aliases: {}, versions: [] };
  return {
    exists: true,
    isPrompt: isPromptEntry(rm.tags),
    description: rm.description,
    tags: rm.tags,
    aliases: rm.aliases,
    versions: versions.map((v) => ({ version: v.version, status: v.status, runId: v.runId, createdAt: v.creationTimestamp, tags: v.tags })),
  };
}

/** The registered models and versions of refs, keyed by labctl model name. */
export async function observeModels(client: MlflowClient, refs: readonly ModelRef[]): Promise<Map<string, ObservedModel>> {
  const out = new Map<string, ObservedModel>();
  if (refs.length === 0) return out;
  const found = new Map<string, RegisteredModel>();
  if (refs.length >= SEARCH_THRESHOLD) {
    // A bounded number of pages: on a registry of many unmanaged models, paging through all of it
    // would cost more than the GETs it saves.
    const wanted = new Set(refs.map((r) => r.mlflowName));
    let pageToken: string | undefined;
    for (let page = 0; page < Math.ceil(refs.length / MODELS_PER_PAGE); page++) {
      const r = await client.searchRegisteredModels({ maxResults: 1000, pageToken });
      for (const rm of r.registeredModels) if (wanted.has(rm.name)) found.set(rm.name, rm);
      if (!r.nextPageToken || found.size === wanted.size) break;
      pageToken = r.nextPageToken;
    }
  }
  // Names the search did not return may not exist, or may be prompts (which the search leaves out).
  await Promise.all(
    refs
      .filter((r) => !found.has(r.mlflowName))
      .map(async (r) => {
        const rm = await client.getRegisteredModel(r.mlflowName);
        if (rm) found.set(r.mlflowName, rm);
      }),
  );
  await Promise.all(
    refs.map(async (r) => {
      const rm = found.get(r.mlflowName);
      const versions = rm && !isPromptEntry(rm.tags) ? await client.searchAllModelVersions({ filter: `name = ${filterLiteral(r.mlflowName)}`, maxResults: 10_000 }) : [];
      out.set(r.model, { mlflowName: r.mlflowName, ...observed(rm, versions) });
    }),
  );
  return out;
}

/** Latest metric values of runs; null for a run that does not exist (deleted, or a bad run id). */
export async function observeRuns(client: MlflowClient, runIds: readonly string[]): Promise<Map<string, Record<string, number> | null>> {
  const out = new Map<string, Record<string, number> | null>();
  await Promise.all(
    runIds.map(async (id) => {
      const run = await client.getRun(id);
      if (!run) return out.set(id, null);
      const metrics: Record<string, number> = {};
      for (const [k, m] of Object.entries(run.metrics)) metrics[k] = m.value;
      out.set(id, metrics);
    }),
  );
  return out;
}

/** The version labctl last set each alias to (completed moves only), by `model/alias`. */
export async function readLastSet(q: Queryable): Promise<Map<string, string>> {
  const rows = await q.query<{ model: string; alias: string; to_version: string }>(
    `SELECT DISTINCT ON (model, alias) model, alias, to_version FROM labctl.promotions WHERE status = 'done' ORDER BY model, alias, id DESC`,
  );
  return new Map(rows.map((r) => [`${r.model}/${r.alias}`, r.to_version]));
}

/**
 * Everything planning reads: models and versions, the runs policies compare, labctl's last moves
 * (none without a database, as for `plan --base`: drift is then not detected).
 */
export async function observeRegistry(client: MlflowClient, q: Queryable | undefined, desired: readonly Resource[]): Promise<RegistryObservation> {
  const [models, lastSet] = await Promise.all([observeModels(client, modelRefs(desired)), q ? readLastSet(q) : new Map<string, string>()]);
  const runs = await observeRuns(client, runsNeeded(desired, models, lastSet));
  return { models, runs, lastSet };
}
