import { experimentTable } from './experiment.js';
import { holdoutTable } from './holdout.js';
import { layerTable } from './layer.js';
import { metricTable } from './metric.js';
import { modelTable } from './model.js';
import { promptTable } from './prompt.js';
import { promotionPolicyTable } from './promotion-policy.js';
import type { KindTable } from './types.js';

export type { KindTable } from './types.js';
export { readPromptVersions, type PromptVersionRow } from './prompt.js';

/** The typed table of every kind, chosen in one place. */
export const KIND_TABLES: ReadonlyMap<string, KindTable> = new Map([layerTable, metricTable, promptTable, modelTable, promotionPolicyTable, experimentTable, holdoutTable].map((t) => [t.kind, t]));
