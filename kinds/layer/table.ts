import type { Queryable } from '../../core/db.js';
import { HEADER_COLUMNS, headerRow, headerSpec, setPresent, upsertRows } from '../table-sql.js';
import type { KindTable } from '../types.js';

export const layerTable: KindTable = {
  async read(q: Queryable) {
    const rows = await q.query<Record<string, unknown> & { name: string }>('SELECT * FROM labctl.layers');
    return new Map(
      rows.map((r) => {
        const s = headerSpec(r);
        setPresent(s, 'unit', r.unit);
        return [r.name, s];
      }),
    );
  },
  async write(q, items) {
    await upsertRows(q, 'labctl.layers', [...HEADER_COLUMNS, ['unit', 'text']], ['name'], items.map((i) => ({ ...headerRow(i.name, i.spec), unit: i.spec.unit ?? null })));
  },
};
