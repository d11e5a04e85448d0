/**
 * The two MLflow moves both external executors make (the model registry's journal steps and the
 * prompt mirror): make sure a registered model exists, and point an alias at a version and read it
 * back. Each is safe to repeat and to race with another apply.
 */
import type { MlflowClient } from './client.js';
import { MlflowError } from './errors.js';
import type { ModelVersion, RegisteredModel } from './types.js';

/**
 * The registered model `name`, created when it is missing. `knownAbsent`: the plan saw no such model,
 * so create first (one request) rather than read first. A model created meanwhile (a concurrent
 * apply, a resumed run, by hand) is read and returned with created: false.
 */
export async function ensureRegisteredModel(
  client: MlflowClient,
  req: { name: string; description?: string; tags: Record<string, string> },
  opts: { knownAbsent: boolean },
): Promise<{ model: RegisteredModel; created: boolean }> {
  if (!opts.knownAbsent) {
    const existing = await client.getRegisteredModel(req.name);
    if (existing) return { model: existing, created: false };
  }
  try {
    return { model: await client.createRegisteredModel(req), created: true };
  } catch (e) {
    if (!(e instanceof MlflowError && e.isAlreadyExists)) throw e;
  }
  const model = await client.getRegisteredModel(req.name);
  if (!model) throw new Error(`registered model ${req.name} exists and does not exist (MLflow answered both)`);
  return { model, created: false };
}

/** Read an alias back after setting it: MLflow must answer with the version just set, or this throws. */
export async function verifyAlias(client: MlflowClient, name: string, alias: string, version: string): Promise<ModelVersion> {
  const check = await client.getModelVersionByAlias(name, alias);
  if (!check || check.version !== version) {
    throw new Error(`alias ${alias} of ${name} reads back as ${check ? `version ${check.version}` : 'unset'}, not version ${version} just set`);
  }
  return check;
}

/** Point an alias at a version (skipped when `current` already is that version) and read it back. */
export async function setAliasVerified(client: MlflowClient, name: string, alias: string, version: string, current?: string): Promise<ModelVersion> {
  if (current !== version) await client.setAlias(name, alias, version);
  return verifyAlias(client, name, alias, version);
}
