import type { JsonObject } from '../../core/types.js';
import type { Queryable } from '../../core/db.js';
import { HEADER_COLUMNS, headerRow, headerSpec, upsertRows, type Column } from '../table-sql.js';
import type { KindTable } from '../types.js';

const POLICY_COLUMNS: readonly Column[] = [...HEADER_COLUMNS, ['model', 'text'], ['candidate', 'jsonb'], ['target_alias', 'text'], ['gates', 'jsonb'], ['on_drift', 'text']];

interface PolicyRow extends Record<string, unknown> {
  name: string;
  model: string;
  candidate: JsonObject;
  target_alias: string;
  gates: JsonObject;
  on_drift: string;
}

/** labctl.promotion_policies: candidate and gates as jsonb in their normalised form (gate strings canonical, minAge a canonical duration). */
export const promotionPolicyTable: KindTable = {
  async read(q: Queryable) {
    const rows = await q.query<PolicyRow>('SELECT * FROM labctl.promotion_policies');
    return new Map(
      rows.map((r) => {
        const s = headerSpec(r);
        s.model = r.model;
        s.candidate = r.candidate;
        s.target = r.target_alias;
        s.gates = r.gates;
        s.onDrift = r.on_drift;
        return [r.name, s];
      }),
    );
  },
  async write(q, items) {
    await upsertRows(
      q,
      'labctl.promotion_policies',
      POLICY_COLUMNS,
      ['name'],
      items.map((i) => ({ ...headerRow(i.name, i.spec), model: i.spec.model, candidate: i.spec.candidate, target_alias: i.spec.target, gates: i.spec.gates, on_drift: i.spec.onDrift })),
    );
  },
};
