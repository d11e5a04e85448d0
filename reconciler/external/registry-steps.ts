/**
 * Running the journal against MLflow after the apply committed: each step is idempotent (running it
 * twice leaves MLflow as running it once), an alias is read back after it is set, and every step is
 * marked done as soon as it is.
 */
import type { Database, Queryable } from '../../core/db.js';
import type { MlflowClient } from '../../adapters/mlflow/client.js';
import { MlflowError } from '../../adapters/mlflow/errors.js';
import { isPromptEntry } from '../../adapters/mlflow/types.js';
import { ensureRegisteredModel, setAliasVerified } from '../../adapters/mlflow/converge.js';
import { markDone, markFailed, readPending, type JournalEntry } from '../../adapters/state/journal.js';
import type { RegistryStep } from '../../core/registry.js';

/** NOTIFY channel the runtime reloads on (aliases moved: `model: NAME@ALIAS` resolves anew). */
import { CHANGES_CHANNEL } from '../../core/channels.js';

/** Tags labctl writes on a version it promotes. */
export const PROMOTION_TAGS = {
  promotedAt: 'labctl.promoted_at',
  previousVersion: 'labctl.previous_version',
  alias: 'labctl.promoted_alias',
  policy: 'labctl.policy',
  gitSha: 'labctl.git_sha',
  /** `true` when the promoting apply had uncommitted spec edits on top of labctl.git_sha. */
  gitDirty: 'labctl.git_dirty',
} as const;

/** A state of MLflow the step must not overwrite; retrying cannot fix it. */
export class RegistryConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryConflictError';
  }
}

export interface StepOutcome {
  entry: JournalEntry;
  status: 'done' | 'failed' | 'pending';
  /** What was done, for people. */
  message: string;
  error?: string;
}

export interface ExecutionReport {
  outcomes: StepOutcome[];
  /** Steps still pending after this run (a failure stops the run; later steps wait). */
  pending: number;
  /** Steps that failed for good. */
  failed: number;
}

/** One line describing a step. */
export function describeStep(s: RegistryStep): string {
  switch (s.op) {
    case 'create-model':
      return `create registered model ${s.mlflowName}`;
    case 'set-description':
      return `set the description of ${s.mlflowName}`;
    case 'set-model-tag':
      return `set tag ${s.key}=${s.value} on ${s.mlflowName}`;
    case 'delete-model-tag':
      return `delete tag ${s.key} of ${s.mlflowName}`;
    case 'set-alias': {
      const what = s.reason === 'promotion' ? `promote ${s.mlflowName} version ${s.version} to ${s.alias}` : s.reason === 'restore' ? `restore ${s.mlflowName} alias ${s.alias} to version ${s.version}` : `pin ${s.mlflowName} alias ${s.alias} to version ${s.version}`;
      return `${what}${s.from !== null ? ` (was version ${s.from})` : ''}`;
    }
  }
}

/** Retrying later may succeed (MLflow down, rate limited, credentials being fixed). */
function retryable(e: unknown): boolean {
  return e instanceof MlflowError && (e.retryable || e.isAuthError || e.code === 'NETWORK_ERROR' || e.code === 'TIMEOUT');
}

async function upsertAlias(q: Queryable, model: string, alias: string, version: string): Promise<void> {
  await q.query(
    `INSERT INTO labctl.model_aliases (model, alias, version, updated_at) VALUES ($1, $2, $3, now())
     ON CONFLICT (model, alias) DO UPDATE SET version = EXCLUDED.version, updated_at = now()`,
    [model, alias, version],
  );
}

/** Run one step against MLflow. */
export async function runStep(client: MlflowClient, entry: JournalEntry): Promise<void> {
  const s = entry.step;
  switch (s.op) {
    case 'create-model': {
      const { model: rm, created } = await ensureRegisteredModel(client, { name: s.mlflowName, description: s.description, tags: s.tags }, { knownAbsent: true });
      if (created) return;
      // Created meanwhile (by a resumed run or by hand): converge it instead.
      if (isPromptEntry(rm.tags)) throw new RegistryConflictError(`MLflow's "${s.mlflowName}" is a prompt, not a model`);
      if (s.description !== undefined && rm.description !== s.description) await client.updateRegisteredModel({ name: s.mlflowName, description: s.description });
      for (const [k, v] of Object.entries(s.tags)) if (rm.tags[k] !== v) await client.setRegisteredModelTag(s.mlflowName, k, v);
      return;
    }
    case 'set-description':
      await client.updateRegisteredModel({ name: s.mlflowName, description: s.description });
      return;
    case 'set-model-tag':
      await client.setRegisteredModelTag(s.mlflowName, s.key, s.value);
      return;
    case 'delete-model-tag':
      await client.deleteRegisteredModelTag(s.mlflowName, s.key);
      return;
    case 'set-alias': {
      await setAliasVerified(client, s.mlflowName, s.alias, s.version);
      if (s.reason === 'promotion' || s.policy !== undefined) {
        const tags: Record<string, string> = {
          [PROMOTION_TAGS.promotedAt]: entry.createdAt,
          [PROMOTION_TAGS.previousVersion]: s.from ?? '',
          [PROMOTION_TAGS.alias]: s.alias,
          [PROMOTION_TAGS.gitSha]: entry.gitSha,
          [PROMOTION_TAGS.gitDirty]: String(entry.gitDirty),
        };
        if (s.policy) tags[PROMOTION_TAGS.policy] = s.policy;
        for (const [k, v] of Object.entries(tags)) await client.setModelVersionTag(s.mlflowName, s.version, k, v);
      }
      return;
    }
  }
}

/**
 * Run every pending journal step in order, marking each done. The first failure stops the run:
 * a terminal one is marked failed, a retryable one stays pending for the next apply or --resume.
 */
export async function executeJournal(db: Database, client: MlflowClient, opts: { signal?: AbortSignal; onStep?: (o: StepOutcome) => void } = {}): Promise<ExecutionReport> {
  const pending = await readPending(db);
  const outcomes: StepOutcome[] = [];
  let aliasesMoved = false;
  let stopped = false;
  for (const entry of pending) {
    if (stopped || opts.signal?.aborted) break;
    const message = describeStep(entry.step);
    try {
      await runStep(client, entry);
    } catch (e) {
      const error = (e as Error)?.message?.split('\n')[0] ?? String(e);
      const terminal = !retryable(e);
      await markFailed(db, entry.id, error, terminal);
      const o: StepOutcome = { entry, status: terminal ? 'failed' : 'pending', message, error };
      outcomes.push(o);
      opts.onStep?.(o);
      stopped = true;
      break;
    }
    await markDone(db, entry.id);
    if (entry.step.op === 'set-alias') {
      await upsertAlias(db, entry.step.model, entry.step.alias, entry.step.version);
      aliasesMoved = true;
    }
    const o: StepOutcome = { entry, status: 'done', message };
    outcomes.push(o);
    opts.onStep?.(o);
  }
  if (aliasesMoved) await db.query('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, 'registry']);
  const done = new Set(outcomes.filter((o) => o.status !== 'pending').map((o) => o.entry.id));
  return {
    outcomes,
    pending: pending.filter((e) => !done.has(e.id)).length,
    failed: outcomes.filter((o) => o.status === 'failed').length,
  };
}
