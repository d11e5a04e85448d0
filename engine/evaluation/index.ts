// The pure core of offline evaluation: the Evaluation spec's shape, datasets read from bytes into
// rows with stable keys, what a row gives its target, per-row asserts (promptfoo's names and
// meanings; llm-rubric returned as a judge call for the runner to make), dataset-level metrics
// over a model's predictions, and a run's summary. No I/O, no clock.
export * from './spec.js';
export * from './types.js';
export { ROW_ASSERTS, METRIC_ASSERTS, CODE_ASSERTS, ASSERT_FIELDS, TEMPLATED, assertKind, knownAssertTypes, type AssertKind, type RowAssertType, type MetricAssertType } from './catalog.js';
export { checkAssert, rowPassed, outputText, jsonSchemaValidator } from './asserts.js';
export { rubricCheck, gradeReply, JUDGE_PROMPT } from './judge.js';
export { accuracy, auc, rmse, computeMetric } from './metrics.js';
export { summariseRun, assertSetDigest, type RowVerdict, type RunSummary } from './summary.js';
export { parseDataset, datasetDigest, rowKey, MAX_DATASET_BYTES, type Dataset, type DatasetProblem, type DatasetParse } from './dataset.js';
export { promptInputs, flowInputs, type VariableShape, type InputProblem, type FlowInputs } from './inputs.js';
export { renderValue, templateFields, type Rendered, type ValueProblem } from './templates.js';
