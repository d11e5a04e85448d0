import { holdoutTable } from './table.js';
import type { JsonObject, Resource } from '../../core/types.js';
import { suggestHint } from '../../core/suggest.js';
import { normaliseHeader, setIf } from '../common.js';
import type { KindDef, RuleContext, RuleProblem } from '../types.js';

export const holdoutKind: KindDef = {
  kind: 'Holdout',
  schemaFile: 'holdout.schema.json',
  table: holdoutTable,
  normalise(doc: JsonObject): JsonObject {
    const out = normaliseHeader(doc);
    out.share = doc.share as number;
    setIf(out, 'experiments', doc.experiments);
    return out;
  },
  rules(r: Resource, ctx: RuleContext): RuleProblem[] {
    const names = (r.spec.experiments ?? []) as string[];
    return names.flatMap((name, i) =>
      ctx.get('Experiment', name)
        ? []
        : [{ code: 'unknown-experiment', path: ['experiments', i], summary: `experiment "${name}" is not declared`, hint: suggestHint(name, ctx.ofKind('Experiment').map((x) => x.name), 'name a declared experiment, or drop experiments to hold out from all') }],
    );
  },
};
