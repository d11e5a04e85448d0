import type { Queryable } from '../../core/db.js';
import { HEADER_COLUMNS, headerRow, headerSpec, setPresent, upsertRows } from '../table-sql.js';
import type { KindTable } from '../types.js';

export const metricTable: KindTable = {
  async read(q: Queryable) {
    const rows = await q.query<Record<string, unknown> & { name: string; type: string; event: string; direction: string }>('SELECT * FROM labctl.metrics');
    return new Map(
      rows.map((r) => {
        const s = headerSpec(r);
        s.type = r.type;
        s.event = r.event;
        setPresent(s, 'property', r.property);
        s.direction = r.direction;
        setPresent(s, 'window', r.conversion_window);
        return [r.name, s];
      }),
    );
  },
  async write(q, items) {
    await upsertRows(
      q,
      'labctl.metrics',
      [...HEADER_COLUMNS, ['type', 'text'], ['event', 'text'], ['property', 'text'], ['direction', 'text'], ['conversion_window', 'text']],
      ['name'],
      items.map((i) => ({ ...headerRow(i.name, i.spec), type: i.spec.type, event: i.spec.event, property: i.spec.property ?? null, direction: i.spec.direction, conversion_window: i.spec.window ?? null })),
    );
  },
};
