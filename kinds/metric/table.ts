import type { Queryable } from '../../core/db.js';
import type { JsonObject } from '../../core/types.js';
import { HEADER_COLUMNS, headerRow, headerSpec, setPresent, upsertRows } from '../table-sql.js';
import type { KindTable } from '../types.js';

interface MetricRow extends Record<string, unknown> {
  name: string;
  type: string;
  direction: string;
  cap_value: number | null;
  cap_percentile: number | null;
}

function capOf(spec: JsonObject): { cap_value: number | null; cap_percentile: number | null } {
  const cap = spec.cap as { value?: number; percentile?: number } | undefined;
  return { cap_value: cap?.value ?? null, cap_percentile: cap?.percentile ?? null };
}

export const metricTable: KindTable = {
  async read(q: Queryable) {
    const rows = await q.query<MetricRow>('SELECT * FROM labctl.metrics');
    return new Map(
      rows.map((r) => {
        const s = headerSpec(r);
        s.type = r.type;
        setPresent(s, 'event', r.event);
        setPresent(s, 'property', r.property);
        setPresent(s, 'numerator', r.numerator);
        setPresent(s, 'denominator', r.denominator);
        s.direction = r.direction;
        setPresent(s, 'window', r.conversion_window);
        if (r.cap_value !== null) s.cap = { value: r.cap_value };
        else if (r.cap_percentile !== null) s.cap = { percentile: r.cap_percentile };
        return [r.name, s];
      }),
    );
  },
  async write(q, items) {
    await upsertRows(
      q,
      'labctl.metrics',
      [
        ...HEADER_COLUMNS,
        ['type', 'text'],
        ['event', 'text'],
        ['property', 'text'],
        ['numerator', 'text'],
        ['denominator', 'text'],
        ['direction', 'text'],
        ['conversion_window', 'text'],
        ['cap_value', 'double precision'],
        ['cap_percentile', 'double precision'],
      ],
      ['name'],
      items.map((i) => ({
        ...headerRow(i.name, i.spec),
        type: i.spec.type,
        event: i.spec.event ?? null,
        property: i.spec.property ?? null,
        numerator: i.spec.numerator ?? null,
        denominator: i.spec.denominator ?? null,
        direction: i.spec.direction,
        conversion_window: i.spec.window ?? null,
        ...capOf(i.spec),
      })),
    );
  },
};
