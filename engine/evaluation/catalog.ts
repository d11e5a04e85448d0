// The assertion types an Evaluation may use, with promptfoo's names and meanings where promptfoo
// has them. Per-row asserts grade one answer; metrics grade the whole dataset at once (a model's
// predictions against the rows' `expected`), so they cannot be decided row by row.

/** Asserts graded on each row's answer. */
export const ROW_ASSERTS = ['equals', 'contains', 'icontains', 'regex', 'is-json', 'latency', 'cost', 'llm-rubric'] as const;
export type RowAssertType = (typeof ROW_ASSERTS)[number];

/** Dataset-level metrics over a model's predictions and the rows' `expected`. */
export const METRIC_ASSERTS = ['accuracy', 'auc', 'rmse'] as const;
export type MetricAssertType = (typeof METRIC_ASSERTS)[number];

/** Assert types other tools run as code; labctl refuses them (no code in YAML). */
export const CODE_ASSERTS = ['javascript', 'python', 'ruby', 'webhook'] as const;

/** What a written `type` means: a per-row assert (maybe negated), a metric, or nothing labctl knows. */
export type AssertKind =
  | { kind: 'row'; base: RowAssertType; negated: boolean }
  | { kind: 'metric'; base: MetricAssertType }
  | { kind: 'code'; base: string }
  | { kind: 'unknown' };

const NOT = 'not-';

/** Classify a written assert type; `not-` negates any per-row assert, as in promptfoo. */
export function assertKind(type: string): AssertKind {
  const negated = type.startsWith(NOT);
  const base = negated ? type.slice(NOT.length) : type;
  if ((ROW_ASSERTS as readonly string[]).includes(base)) return { kind: 'row', base: base as RowAssertType, negated };
  if (!negated && (METRIC_ASSERTS as readonly string[]).includes(base)) return { kind: 'metric', base: base as MetricAssertType };
  if ((CODE_ASSERTS as readonly string[]).includes(base)) return { kind: 'code', base };
  return { kind: 'unknown' };
}

/** Every type a spec may write, for did-you-mean hints. */
export function knownAssertTypes(): string[] {
  return [...ROW_ASSERTS, ...ROW_ASSERTS.map((t) => NOT + t), ...METRIC_ASSERTS];
}

/** Which fields each base type takes (besides `type`), and which of them it needs. */
export const ASSERT_FIELDS: Record<RowAssertType | MetricAssertType, { takes: readonly string[]; needs: readonly string[] }> = {
  equals: { takes: ['value'], needs: ['value'] },
  contains: { takes: ['value'], needs: ['value'] },
  icontains: { takes: ['value'], needs: ['value'] },
  regex: { takes: ['value'], needs: ['value'] },
  'is-json': { takes: ['value'], needs: [] },
  latency: { takes: ['threshold'], needs: ['threshold'] },
  cost: { takes: ['threshold'], needs: ['threshold'] },
  'llm-rubric': { takes: ['value', 'threshold', 'provider'], needs: ['value', 'provider'] },
  accuracy: { takes: ['threshold', 'cutoff'], needs: ['threshold'] },
  auc: { takes: ['threshold'], needs: ['threshold'] },
  rmse: { takes: ['threshold'], needs: ['threshold'] },
};

/** Types whose `value` is a template over the row's fields (`{{expected}}`). */
export const TEMPLATED = new Set<string>(['equals', 'contains', 'icontains', 'regex', 'llm-rubric']);
