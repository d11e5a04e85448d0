import type { JsonObject } from '../../core/types.js';
import type { Queryable } from '../../core/db.js';
import { HEADER_COLUMNS, headerRow, headerSpec, upsertRows, type Column } from '../table-sql.js';
import type { KindTable } from '../types.js';

const MODEL_COLUMNS: readonly Column[] = [...HEADER_COLUMNS, ['mlflow_name', 'text'], ['tags', 'jsonb'], ['aliases', 'jsonb']];

interface ModelRow extends Record<string, unknown> {
  name: string;
  mlflow_name: string;
  tags: JsonObject;
  aliases: JsonObject;
}

/** labctl.models: one row per Model; tags and aliases as jsonb, exactly as in the normalised spec. */
export const modelTable: KindTable = {
  async read(q: Queryable) {
    const rows = await q.query<ModelRow>('SELECT * FROM labctl.models');
    return new Map(
      rows.map((r) => {
        const s = headerSpec(r);
        s.mlflowName = r.mlflow_name;
        s.tags = r.tags ?? {};
        s.aliases = r.aliases ?? {};
        return [r.name, s];
      }),
    );
  },
  async write(q, items) {
    await upsertRows(
      q,
      'labctl.models',
      MODEL_COLUMNS,
      ['name'],
      items.map((i) => ({ ...headerRow(i.name, i.spec), mlflow_name: i.spec.mlflowName, tags: i.spec.tags ?? {}, aliases: i.spec.aliases ?? {} })),
    );
  },
};
