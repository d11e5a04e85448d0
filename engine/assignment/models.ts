import type { Json, JsonObject } from '../../core/types.js';

/** A variant value's reference to a model alias: `{ model: "NAME@ALIAS", ... }`. */
export interface ModelRef {
  /** The labctl Model resource name. */
  readonly name: string;
  /** The MLflow alias (e.g. champion, challenger). */
  readonly alias: string;
}

/**
 * The model an assignment's variant references, resolved to an MLflow version. Part of the answer
 * of `assign`, `GET`/`POST /v1/assign` and `labctl assign` when the variant's value holds a model
 * reference; absent otherwise.
 */
export interface ResolvedModel {
  /** The labctl Model resource name. */
  readonly name: string;
  /** The registered model's name in MLflow (the Model spec's mlflowName, else name). */
  readonly mlflowName: string;
  readonly alias: string;
  /** The version the alias points at; null when it cannot be resolved. */
  readonly version: string | null;
  /** `models:/<mlflowName>/<version>`, the URI MLflow's model loaders take; null when unresolved. */
  readonly uri: string | null;
}

/** model → alias → version, as last read from (or written to) MLflow by apply. */
export type ModelAliasMap = ReadonlyMap<string, Readonly<Record<string, string>>>;

const MODEL_NAME = '[a-z0-9][a-z0-9-]{0,62}';
const ALIAS = '[A-Za-z0-9_-]{1,255}';
const REF = new RegExp(`^(${MODEL_NAME})@(${ALIAS})$`);

/**
 * The model reference in a variant value, or undefined when it has none: the value must be an
 * object whose `model` field is a string `NAME@ALIAS` (NAME a resource name, ALIAS letters, digits,
 * `_` and `-`). Any other `model` field (a plain LLM name, a number, a malformed reference) is not
 * a reference and is left alone; the validator reports malformed references before apply.
 */
export function parseModelRef(value: Json | undefined): ModelRef | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const ref = (value as JsonObject).model;
  if (typeof ref !== 'string') return undefined;
  const m = REF.exec(ref);
  return m ? { name: m[1]!, alias: m[2]! } : undefined;
}

/** A pinned alias's version in a Model spec (`aliases: { baseline: { version: "3" } }`), if any. */
export function pinnedVersion(spec: JsonObject | undefined, alias: string): string | undefined {
  const pin = aliasSpec(spec, alias);
  if (!pin || !('version' in pin)) return undefined;
  const v = pin.version;
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
}

/** How a Model spec declares an alias: pinned (`{version}`), moved by a policy (`{policy}`), or not at all. */
export function aliasSpec(spec: JsonObject | undefined, alias: string): JsonObject | undefined {
  const aliases = spec?.aliases;
  if (typeof aliases !== 'object' || aliases === null || Array.isArray(aliases) || !Object.hasOwn(aliases, alias)) return undefined;
  const a = (aliases as JsonObject)[alias];
  return typeof a === 'object' && a !== null && !Array.isArray(a) ? a : undefined;
}

/**
 * Resolve a reference: the version MLflow's alias points at (modelAliases, read by apply) wins;
 * else a pinned alias of the Model spec; else unresolved (version null). Pure.
 */
export function resolveModelRef(ref: ModelRef, modelSpec: JsonObject | undefined, modelAliases: ModelAliasMap | undefined): ResolvedModel {
  const mlflowName = typeof modelSpec?.mlflowName === 'string' && modelSpec.mlflowName !== '' ? modelSpec.mlflowName : ref.name;
  const read = modelAliases?.get(ref.name);
  const version = (read && Object.hasOwn(read, ref.alias) ? read[ref.alias] : undefined) ?? pinnedVersion(modelSpec, ref.alias) ?? null;
  return Object.freeze({ name: ref.name, mlflowName, alias: ref.alias, version, uri: version === null ? null : `models:/${mlflowName}/${version}` });
}
