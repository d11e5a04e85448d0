import type { LlmRequest } from '../../core/llm.js';
import type { Json, JsonObject } from '../../core/types.js';

/** One row of a dataset: its fields, where it is in the file, and a digest of its content. */
export interface DatasetRow {
  /** 0-based position among the rows (empty lines are not rows). */
  index: number;
  /** The line of the file the row starts on (1-based). */
  line: number;
  /** SHA-256 of the canonical JSON of `values`: equal rows have equal keys, wherever they are. */
  key: string;
  values: JsonObject;
}

/** What the runner saw when the target answered one row. */
export interface RowObservation {
  /** The answer: a prompt's text, its structured output (an object), or a model's prediction. */
  output: Json;
  /** From the request to the complete answer, in milliseconds. */
  latencyMs?: number;
  /** What the answer cost in US dollars; absent when the model declares no price. */
  costUsd?: number;
}

/** The verdict of one assert on one row. */
export interface AssertOutcome {
  /** The type as written (`not-contains`). */
  type: string;
  pass: boolean;
  /** 0..1; 1 or 0 for yes/no asserts, the judge's score for `llm-rubric`. */
  score: number;
  reason: string;
  /** The assert could not be decided (a missing field, an unknown cost, a judge that did not answer): never a pass, negated or not. */
  error?: boolean;
}

/** A judge model's call that the runner performs for `llm-rubric` (the engine does no I/O). */
export interface JudgeRequest {
  /** The provider that answers: `anthropic`, `openai` or `scripted`. */
  provider: string;
  request: LlmRequest;
}

/** The judge's answer as the provider layer returns it. */
export interface JudgeAnswer {
  text: string;
  output?: JsonObject;
}

/** One assert on one row: decided now, or once a judge has answered. */
export type RowCheck = { kind: 'done'; outcome: AssertOutcome } | { kind: 'judge'; judge: JudgeRequest; grade(answer: JudgeAnswer): AssertOutcome };

/** A prediction next to what it should have been, for the dataset-level metrics. */
export interface Prediction {
  prediction: Json;
  expected: Json;
}

/** The verdict of a dataset-level metric. */
export interface MetricOutcome {
  type: string;
  /** The metric's value; null when it cannot be computed (no usable rows, a single class for auc). */
  value: number | null;
  threshold: number;
  pass: boolean;
  /** Rows the metric was computed over (rows with an unusable prediction or expected are left out). */
  rows: number;
  reason: string;
}
