/**
 * Model registry entities as labctl uses them (camelCase, tags as records) and as MLflow's REST API
 * sends them (snake_case, tags as key/value lists). Conversion lives here so callers never see the
 * wire shape.
 */

export type Tags = Record<string, string>;

export interface RegisteredModel {
  name: string;
  description: string;
  creationTimestamp?: number;
  lastUpdatedTimestamp?: number;
  tags: Tags;
  /** alias → version */
  aliases: Record<string, string>;
}

export type ModelVersionStatus = 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY' | (string & {});

export interface ModelVersion {
  name: string;
  /** MLflow versions are decimal strings ("1", "2", …). */
  version: string;
  description: string;
  source: string;
  runId: string;
  status: ModelVersionStatus;
  currentStage?: string;
  creationTimestamp?: number;
  lastUpdatedTimestamp?: number;
  tags: Tags;
  aliases: string[];
}

export interface SearchModelVersionsRequest {
  /** MLflow filter syntax, e.g. ``name = 'x' AND tags.`k` = 'v'``. */
  filter?: string;
  maxResults?: number;
  orderBy?: string[];
  pageToken?: string;
}

export interface SearchModelVersionsPage {
  modelVersions: ModelVersion[];
  /** Present when more results follow; pass it back as pageToken. */
  nextPageToken?: string;
}

// ---- wire format ----------------------------------------------------------------------------

export interface WireTag {
  key: string;
  value?: string;
}

export interface WireRegisteredModel {
  name: string;
  description?: string;
  creation_timestamp?: number | string;
  last_updated_timestamp?: number | string;
  tags?: WireTag[];
  aliases?: Array<{ alias: string; version: string | number }>;
}

export interface WireModelVersion {
  name: string;
  version: string | number;
  description?: string;
  source?: string;
  run_id?: string;
  status?: string;
  current_stage?: string;
  creation_timestamp?: number | string;
  last_updated_timestamp?: number | string;
  tags?: WireTag[];
  aliases?: string[];
}

function timestamp(v: number | string | undefined): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

export function tagsFromWire(tags: WireTag[] | undefined): Tags {
  const out: Tags = {};
  for (const t of tags ?? []) out[t.key] = t.value ?? '';
  return out;
}

export function tagsToWire(tags: Tags | undefined): WireTag[] | undefined {
  if (!tags) return undefined;
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

export function registeredModelFromWire(w: WireRegisteredModel): RegisteredModel {
  const aliases: Record<string, string> = {};
  for (const a of w.aliases ?? []) aliases[a.alias] = String(a.version);
  return {
    name: w.name,
    description: w.description ?? '',
    creationTimestamp: timestamp(w.creation_timestamp),
    lastUpdatedTimestamp: timestamp(w.last_updated_timestamp),
    tags: tagsFromWire(w.tags),
    aliases,
  };
}

export function modelVersionFromWire(w: WireModelVersion): ModelVersion {
  return {
    name: w.name,
    version: String(w.version),
    description: w.description ?? '',
    source: w.source ?? '',
    runId: w.run_id ?? '',
    status: w.status ?? 'READY',
    currentStage: w.current_stage,
    creationTimestamp: timestamp(w.creation_timestamp),
    lastUpdatedTimestamp: timestamp(w.last_updated_timestamp),
    tags: tagsFromWire(w.tags),
    aliases: w.aliases ?? [],
  };
}

/** A string literal for MLflow's search filter syntax (single quotes; names with quotes are refused). */
export function filterLiteral(value: string): string {
  if (value.includes("'")) throw new Error(`cannot search MLflow for a value containing a single quote: ${JSON.stringify(value)}`);
  return `'${value}'`;
}

/** ``tags.`key` = 'value'`` for a search filter. */
export function tagFilter(key: string, value: string): string {
  if (key.includes('`')) throw new Error(`cannot search MLflow for a tag key containing a backtick: ${JSON.stringify(key)}`);
  return `tags.\`${key}\` = ${filterLiteral(value)}`;
}
