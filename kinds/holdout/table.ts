import type { Queryable } from '../../core/db.js';
import { HEADER_COLUMNS, headerRow, headerSpec, setPresent, upsertRows } from '../table-sql.js';
import type { KindTable } from '../types.js';

export const holdoutTable: KindTable = {
  async read(q: Queryable) {
    const rows = await q.query<Record<string, unknown> & { name: string; share: number }>('SELECT * FROM labctl.holdouts');
    return new Map(
      rows.map((r) => {
        const s = headerSpec(r);
        s.share = r.share;
        setPresent(s, 'experiments', r.experiments);
        return [r.name, s];
      }),
    );
  },
  async write(q, items) {
    await upsertRows(
      q,
      'labctl.holdouts',
      [...HEADER_COLUMNS, ['share', 'double precision'], ['experiments', 'text[]']],
      ['name'],
      items.map((i) => ({ ...headerRow(i.name, i.spec), share: i.spec.share, experiments: i.spec.experiments ?? null })),
    );
  },
};
