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

export interface SearchRegisteredModelsRequest {
  /** MLflow filter syntax over `name` and `tags.<key>`, e.g. ``name LIKE 'churn-%'``. */
  filter?: string;
  /** Page size; MLflow refuses more than 1000 (its default is 100). */
  maxResults?: number;
  /** e.g. `['name ASC']`, `['last_updated_timestamp DESC']`. */
  orderBy?: string[];
  pageToken?: string;
}

export interface SearchRegisteredModelsPage {
  /** Models only: prompt entries of the registry are dropped even when the server sent them. */
  registeredModels: RegisteredModel[];
  /** Present when more results follow; pass it back as pageToken. */
  nextPageToken?: string;
}

/** The tag MLflow marks prompt entries of the model registry with (value `true`). */
export const PROMPT_TAG = 'mlflow.prompt.is_prompt';

/**
 * Whether a registry entry with these tags is a prompt rather than a model. MLflow 3 hides
 * prompts from model searches server-side; older servers return them like models.
 */
export function isPromptEntry(tags: Tags): boolean {
  return tags[PROMPT_TAG]?.trim().toLowerCase() === 'true';
}

export interface Experiment {
  experimentId: string;
  name: string;
  /** `active`, or `deleted` for an experiment in the trash (its name stays taken). */
  lifecycleStage?: string;
}

export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED' | (string & {});

/** One logged value of a metric. */
export interface MetricPoint {
  value: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  step: number;
}

export interface Run {
  runId: string;
  experimentId: string;
  status: RunStatus;
  runName?: string;
  startTime?: number;
  endTime?: number;
  artifactUri?: string;
  /** `active` or `deleted`. */
  lifecycleStage?: string;
  /** The latest value of each metric (highest step, then latest timestamp), as runs/get reports it. */
  metrics: Record<string, MetricPoint>;
  params: Record<string, string>;
  tags: Tags;
}

/** A metric value to log; timestamp defaults to the time of the call, step to 0. */
export interface MetricInput {
  key: string;
  value: number;
  timestamp?: number;
  step?: number;
}

export interface LogBatchInput {
  metrics?: MetricInput[];
  /** Params cannot change once logged: MLflow refuses a different value for a logged key. */
  params?: Record<string, string>;
  tags?: Tags;
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

export interface WireExperiment {
  experiment_id: string;
  name: string;
  lifecycle_stage?: string;
}

/** Doubles in MLflow's JSON: numbers, or "NaN" / "Infinity" / "-Infinity" as strings. */
export type WireDouble = number | string;

export interface WireMetric {
  key: string;
  value?: WireDouble;
  timestamp?: number | string;
  step?: number | string;
}

export interface WireRun {
  info: {
    run_id?: string;
    run_uuid?: string;
    experiment_id: string;
    run_name?: string;
    status?: string;
    start_time?: number | string;
    end_time?: number | string;
    artifact_uri?: string;
    lifecycle_stage?: string;
  };
  data?: { metrics?: WireMetric[]; params?: WireTag[]; tags?: WireTag[] };
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

export function experimentFromWire(w: WireExperiment): Experiment {
  return { experimentId: String(w.experiment_id), name: w.name, lifecycleStage: w.lifecycle_stage };
}

export function metricPointFromWire(w: WireMetric): MetricPoint {
  return { value: w.value === undefined ? 0 : Number(w.value), timestamp: timestamp(w.timestamp) ?? 0, step: timestamp(w.step) ?? 0 };
}

/** JSON has no NaN or infinities: MLflow's protobuf JSON takes them as strings. */
export function doubleToWire(value: number): WireDouble {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

export function runFromWire(w: WireRun): Run {
  const metrics: Record<string, MetricPoint> = {};
  for (const m of w.data?.metrics ?? []) metrics[m.key] = metricPointFromWire(m);
  return {
    runId: w.info.run_id || w.info.run_uuid || '',
    experimentId: String(w.info.experiment_id),
    status: w.info.status ?? 'RUNNING',
    runName: w.info.run_name || undefined,
    startTime: timestamp(w.info.start_time),
    endTime: timestamp(w.info.end_time),
    artifactUri: w.info.artifact_uri || undefined,
    lifecycleStage: w.info.lifecycle_stage,
    metrics,
    params: tagsFromWire(w.data?.params),
    tags: tagsFromWire(w.data?.tags),
  };
}
