import type { JsonObject, Plan, Resource } from '../../core/types.js';
import type { Queryable } from '../../core/db.js';
import { MlflowClient } from '../../adapters/mlflow/client.js';
import { ensureRegisteredModel, setAliasVerified } from '../../adapters/mlflow/converge.js';
import { mlflowConfigured } from '../../adapters/mlflow/config.js';
import { MlflowError } from '../../adapters/mlflow/errors.js';
import { filterLiteral, tagFilter, type ModelVersion } from '../../adapters/mlflow/types.js';
import { readActualState } from '../../adapters/state/state.js';
import { readCurrentVersionProvenance } from '../../kinds/prompt/table.js';

/**
 * MLflow's prompt registry is the model registry with tags: a registered model tagged
 * `mlflow.prompt.is_prompt` is a prompt, and each of its versions carries its template in
 * `mlflow.prompt.text`. labctl adds `labctl.version` (the content hash) so the mirror is idempotent.
 */
export const PROMPT_TAGS = {
  isPrompt: 'mlflow.prompt.is_prompt',
  text: 'mlflow.prompt.text',
  /** Newer MLflow releases read this to show chat prompts (messages as JSON) as chat. */
  type: '_mlflow_prompt_type',
  version: 'labctl.version',
  gitSha: 'labctl.git_sha',
  /** `true` when the version was applied from uncommitted edits on top of labctl.git_sha. */
  gitDirty: 'labctl.git_dirty',
} as const;

/** The configuration hint printed when a prompt asks for the mirror but no server is configured. */
export const NOT_CONFIGURED = 'skipped: MLflow not configured';

/** A prompt to mirror: what MLflow should hold for it. */
export interface MirrorTarget {
  name: string;
  /** labctl's content hash of the prompt (the `labctl.version` tag). */
  version: string;
  alias: string;
  description?: string;
  type: 'text' | 'chat';
  /** The `mlflow.prompt.text` value: the template, or the chat messages as JSON. */
  text: string;
  /** Commit the prompt version was applied from (the `labctl.git_sha` tag of a new version). */
  gitSha: string;
  /** The apply had uncommitted spec edits on top of gitSha (the `labctl.git_dirty` tag). */
  gitDirty: boolean;
  /** Created or updated by this apply: check the registered model as a whole, not only the alias. */
  changed: boolean;
}

export type MirrorStatus =
  /** The alias already pointed at a version with this content; nothing was written. */
  | 'in-sync'
  /** A new version was registered and the alias points at it. */
  | 'created'
  /** A version with this content existed (e.g. a reverted template); the alias moved to it. */
  | 'aliased'
  | 'skipped'
  | 'failed';

export interface MirrorResult {
  prompt: string;
  alias: string;
  status: MirrorStatus;
  /** MLflow's version number the alias points at (after the mirror). */
  mlflowVersion?: string;
  /** The registered model was created by this mirror. */
  registeredModelCreated?: boolean;
  error?: string;
}

export interface MirrorReport {
  /** MLFLOW_TRACKING_URI was set. */
  configured: boolean;
  /** The server mirrored to, credentials removed. */
  trackingUri?: string;
  results: MirrorResult[];
  failed: MirrorResult[];
}

/** The `mlflow.prompt.text` of a normalised Prompt spec: the template as written, or chat messages as JSON. */
export function promptMirrorText(spec: JsonObject): string {
  if (typeof spec.template === 'string') return spec.template;
  const messages = (spec.messages ?? []) as Array<{ role: string; content: string }>;
  return JSON.stringify(messages.map((m) => ({ role: m.role, content: m.content })));
}

/** Whether a normalised Prompt spec asks for the mirror. */
export function wantsMirror(spec: JsonObject | null | undefined): boolean {
  return Boolean(spec && (spec.mlflow as JsonObject | undefined)?.mirror === true);
}

/** The mirror target of a normalised Prompt spec, or undefined when it does not ask for one. */
export function mirrorTarget(name: string, spec: JsonObject, opts: { gitSha: string; gitDirty: boolean; changed: boolean }): MirrorTarget | undefined {
  if (!wantsMirror(spec)) return undefined;
  const mlflow = spec.mlflow as JsonObject;
  return {
    name,
    version: String(spec.version),
    alias: typeof mlflow.alias === 'string' && mlflow.alias ? mlflow.alias : 'production',
    description: typeof spec.description === 'string' ? spec.description : undefined,
    type: spec.type === 'chat' ? 'chat' : 'text',
    text: promptMirrorText(spec),
    gitSha: opts.gitSha,
    gitDirty: opts.gitDirty,
    changed: opts.changed,
  };
}

/** Prompts the plan creates or updates. */
export function changedPrompts(plan: Plan): Set<string> {
  return new Set(plan.changes.filter((c) => c.kind === 'Prompt' && (c.action === 'create' || c.action === 'update')).map((c) => c.name));
}

/**
 * Every active prompt in the state store that asks for the mirror. Read after the apply commits, so
 * a saved plan, a no-op apply and a retry after an MLflow outage all see what is applied. A target
 * carries its current version's provenance (the apply that first stored that content), as the
 * MLflow version registered for it stands for that content.
 */
export async function readMirrorTargets(q: Queryable, changed: ReadonlySet<string> = new Set()): Promise<MirrorTarget[]> {
  const [actual, provenance] = await Promise.all([readActualState(q), readCurrentVersionProvenance(q)]);
  const origin = (name: string, gitSha: string) => provenance.get(name) ?? { gitSha, gitDirty: false };
  return actual
    .filter((a) => a.kind === 'Prompt' && !a.archived)
    .map((a) => mirrorTarget(a.name, a.spec, { ...origin(a.name, a.gitSha), changed: changed.has(a.name) }))
    .filter((t): t is MirrorTarget => t !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Mirror targets of desired resources (for plans: nothing is read from MLflow). */
export function desiredMirrorTargets(resources: readonly Resource[], plan?: Plan): MirrorTarget[] {
  const changed = plan ? changedPrompts(plan) : new Set<string>();
  return resources
    .filter((r) => r.kind === 'Prompt')
    .map((r) => mirrorTarget(r.name, r.spec, { gitSha: plan?.git_sha ?? 'unknown', gitDirty: plan?.git_dirty === true, changed: changed.has(r.name) }))
    .filter((t): t is MirrorTarget => t !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
}

function lowestVersion(versions: readonly ModelVersion[]): ModelVersion | undefined {
  return [...versions].sort((a, b) => Number(a.version) - Number(b.version))[0];
}

/** A registry state labctl must not overwrite; retrying cannot fix it. */
export class MirrorConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MirrorConflictError';
  }
}

/**
 * Make MLflow hold one prompt: the registered model (tagged as a prompt, with the description), a
 * version tagged with this content hash (found, else created), and the alias on it — read back to
 * verify. Writes nothing when everything is already so.
 */
export async function mirrorPrompt(client: MlflowClient, t: MirrorTarget): Promise<MirrorResult> {
  const base = { prompt: t.name, alias: t.alias };
  if (!t.changed) {
    // Unchanged prompts: one read proves the mirror is current (and a failed earlier mirror is retried).
    const current = await client.getModelVersionByAlias(t.name, t.alias);
    if (current && current.tags[PROMPT_TAGS.version] === t.version && current.tags[PROMPT_TAGS.isPrompt] === 'true') {
      return { ...base, status: 'in-sync', mlflowVersion: current.version };
    }
  }
  const { model, created: registeredModelCreated } = await ensureRegisteredModel(client, { name: t.name, description: t.description, tags: { [PROMPT_TAGS.isPrompt]: 'true' } }, { knownAbsent: false });
  if (model.tags[PROMPT_TAGS.isPrompt] !== 'true') {
    throw new MirrorConflictError(
      `MLflow has a registered model "${t.name}" that is not a prompt (no ${PROMPT_TAGS.isPrompt}=true tag); labctl does not write prompt versions into a model — rename the prompt or that model`,
    );
  }
  if (!registeredModelCreated && t.description !== undefined && model.description !== t.description) {
    await client.updateRegisteredModel({ name: t.name, description: t.description });
  }
  const filter = [`name = ${filterLiteral(t.name)}`, tagFilter(PROMPT_TAGS.isPrompt, 'true'), tagFilter(PROMPT_TAGS.version, t.version)].join(' AND ');
  let chosen = lowestVersion(await client.searchAllModelVersions({ filter }));
  let created = false;
  if (!chosen) {
    const made = await client.createModelVersion({
      name: t.name,
      source: `labctl://prompts/${t.name}@${t.version}`,
      description: `labctl prompt version ${t.version.slice(0, 12)} (git ${t.gitSha.slice(0, 12)}${t.gitDirty ? ' + uncommitted changes' : ''})`,
      tags: {
        [PROMPT_TAGS.isPrompt]: 'true',
        [PROMPT_TAGS.text]: t.text,
        [PROMPT_TAGS.type]: t.type,
        [PROMPT_TAGS.version]: t.version,
        [PROMPT_TAGS.gitSha]: t.gitSha,
        [PROMPT_TAGS.gitDirty]: String(t.gitDirty),
      },
    });
    created = true;
    // Two applies racing may each create a version; both then settle on the lowest one.
    chosen = lowestVersion(await client.searchAllModelVersions({ filter })) ?? made;
  }
  const before = model.aliases[t.alias];
  const check = await setAliasVerified(client, t.name, t.alias, chosen.version, before);
  if (check.tags[PROMPT_TAGS.version] !== t.version) {
    throw new Error(`alias ${t.alias} of "${t.name}" points at version ${check.version}, which does not carry ${PROMPT_TAGS.version}=${t.version}`);
  }
  const status: MirrorStatus = created ? 'created' : before !== chosen.version ? 'aliased' : 'in-sync';
  return { ...base, status, mlflowVersion: chosen.version, registeredModelCreated };
}

function failure(t: MirrorTarget, e: unknown): MirrorResult {
  return { prompt: t.name, alias: t.alias, status: 'failed', error: (e as Error)?.message?.split('\n')[0] ?? String(e) };
}

/** Mirror targets to the server the environment names (or report them skipped when there is none). */
export async function mirrorPrompts(targets: readonly MirrorTarget[], opts: { env: NodeJS.ProcessEnv; client?: MlflowClient; signal?: AbortSignal }): Promise<MirrorReport> {
  const configured = opts.client !== undefined || mlflowConfigured(opts.env);
  if (targets.length === 0) return { configured, results: [], failed: [] };
  if (!configured) {
    const results = targets.map((t) => ({ prompt: t.name, alias: t.alias, status: 'skipped' as const }));
    return { configured, results, failed: [] };
  }
  let client: MlflowClient;
  try {
    client = opts.client ?? MlflowClient.fromEnv(opts.env, { signal: opts.signal })!;
  } catch (e) {
    // An unusable MLFLOW_TRACKING_URI fails every prompt with the same message.
    const results = targets.map((t) => failure(t, e));
    return { configured, results, failed: results };
  }
  const results: MirrorResult[] = [];
  let unreachable: MlflowError | undefined;
  for (const t of targets) {
    if (opts.signal?.aborted) {
      results.push(failure(t, new Error('not attempted: stopped')));
      continue;
    }
    if (unreachable) {
      // The server is down or refuses us: the other prompts would only wait for the same answer.
      results.push(failure(t, new Error(`not attempted: ${unreachable.message}`)));
      continue;
    }
    try {
      results.push(await mirrorPrompt(client, t));
    } catch (e) {
      results.push(failure(t, e));
      if (e instanceof MlflowError && (e.code === 'NETWORK_ERROR' || e.code === 'TIMEOUT' || e.isAuthError)) unreachable = e;
    }
  }
  return { configured, trackingUri: client.trackingUri, results, failed: results.filter((r) => r.status === 'failed') };
}

/** One line per mirrored prompt that needs saying (in-sync ones are counted), for apply output and logs. */
export function mirrorReportLines(report: MirrorReport): { info: string[]; errors: string[] } {
  const info: string[] = [];
  const errors: string[] = [];
  const where = report.trackingUri ? ` (${report.trackingUri})` : '';
  let inSync = 0;
  for (const r of report.results) {
    if (r.status === 'skipped') info.push(`MLflow: prompt ${r.prompt}: ${NOT_CONFIGURED} (set MLFLOW_TRACKING_URI to mirror it)`);
    else if (r.status === 'created') info.push(`MLflow: prompt ${r.prompt}: registered version ${r.mlflowVersion}${r.registeredModelCreated ? ' (new prompt)' : ''}, alias ${r.alias} → version ${r.mlflowVersion}${where}`);
    else if (r.status === 'aliased') info.push(`MLflow: prompt ${r.prompt}: alias ${r.alias} → existing version ${r.mlflowVersion}${where}`);
    else if (r.status === 'in-sync') inSync++;
    else errors.push(`MLflow mirror of prompt ${r.prompt} failed: ${r.error}`);
  }
  if (inSync > 0) info.push(`MLflow: ${inSync} mirrored prompt${inSync === 1 ? '' : 's'} already in sync${where}`);
  return { info, errors };
}

/** Lines for a plan: what apply will do with MLflow (nothing is read from MLflow while planning). */
export function planMirrorLines(resources: readonly Resource[], plan: Plan, env: NodeJS.ProcessEnv): string[] {
  const targets = desiredMirrorTargets(resources, plan);
  if (!mlflowConfigured(env)) return targets.map((t) => `MLflow: prompt ${t.name}: ${NOT_CONFIGURED} (set MLFLOW_TRACKING_URI to mirror it)`);
  return targets.filter((t) => t.changed).map((t) => `MLflow: prompt ${t.name} will be mirrored after apply (alias ${t.alias})`);
}
