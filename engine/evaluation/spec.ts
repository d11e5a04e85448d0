import type { Json, JsonObject } from '../../core/types.js';

// The normalised shape of an Evaluation spec, as the Evaluation kind stores it and the runner reads it.

/** Types a prompt target's structured output may give each field (the flow step's `output` shorthand). */
export type OutputFieldType = 'string' | 'number' | 'integer' | 'boolean';

/** The output field types, in the order docs and hints list them. */
export const OUTPUT_FIELD_TYPES: readonly OutputFieldType[] = ['string', 'number', 'integer', 'boolean'];

/**
 * What an evaluation scores. `prompt` and `flow` are `NAME` or `NAME@VERSION` as written (a hex
 * prefix of the content version); `output` asks a prompt for structured output. A model is a
 * registered model's version, by alias or number, answering at `server` + `/invocations`.
 */
export type TargetSpec =
  | { prompt: string; output?: Record<string, OutputFieldType> }
  | { flow: string }
  | { experiment: string; output?: Record<string, OutputFieldType> }
  | { model: string; alias?: string; version?: string; server?: string };

/** The kinds of target, in the order docs list them. */
export const TARGET_KINDS = ['prompt', 'flow', 'experiment', 'model'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** The formats a dataset file can have. */
export type DatasetFormat = 'jsonl' | 'csv';

/**
 * Where the rows come from: a file in the repository (`path`, relative to the spec file), an
 * object in S3 (`uri`, optionally pinned by the SHA-256 of its bytes), or recorded flow sessions.
 */
export type DatasetSpec =
  | { path: string; format?: DatasetFormat }
  | { uri: string; format?: DatasetFormat; sha256?: string }
  | { sessions: { flow: string; since: string; limit: number } };

/** One assertion as written: `type` may carry a `not-` prefix. */
export interface AssertSpec {
  type: string;
  value?: Json;
  threshold?: number;
  /** The judge of `llm-rubric`: `{ provider: anthropic | openai | scripted, name: MODEL }`. */
  provider?: JsonObject;
  /** `accuracy` on scores: a prediction at or above the cutoff counts as 1, below as 0. */
  cutoff?: number;
}

/** A normalised Evaluation spec. */
export interface EvaluationSpec {
  target: TargetSpec;
  dataset: DatasetSpec;
  asserts: AssertSpec[];
  threshold: { pass_rate: number };
}

/** The typed view of a normalised Evaluation spec. */
export function evaluationSpecOf(spec: JsonObject): EvaluationSpec {
  return spec as unknown as EvaluationSpec;
}

/** Which kind of target a target spec names (the first of its reference fields present). */
export function targetKindOf(target: TargetSpec): TargetKind | undefined {
  return TARGET_KINDS.find((k) => Object.hasOwn(target, k));
}

/** The format a file name implies: `.jsonl` and `.ndjson` are JSON lines, `.csv` is CSV. */
export function formatOfName(name: string): DatasetFormat | undefined {
  const m = /\.([^./\\]+)$/.exec(name.toLowerCase());
  if (m?.[1] === 'jsonl' || m?.[1] === 'ndjson') return 'jsonl';
  if (m?.[1] === 'csv') return 'csv';
  return undefined;
}
