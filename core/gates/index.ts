// The gate language of PromotionPolicy (see types.ts): its public surface.
export type { GateOp, RelativeOp, MetricGate, GateParse, DurationParse, GateResult, GateCandidate, GateIncumbent } from './types.js';
export { parseMetricGate } from './metric.js';
export { parseDuration, formatDuration } from './duration.js';
export { formatNumbers } from './numbers.js';
export { evaluateGates, gatesPassed } from './evaluate.js';
