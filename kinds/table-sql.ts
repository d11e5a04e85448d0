import type { Json, JsonObject } from '../core/types.js';
import type { Queryable } from '../core/db.js';

/** Column name, SQL type as used by jsonb_to_recordset, and an optional select expression. */
export type Column = readonly [name: string, type: string, select?: string];

/** Insert or update many rows in one statement: the rows travel as one jsonb parameter. */
export async function upsertRows(q: Queryable, table: string, columns: readonly Column[], key: readonly string[], rows: readonly Record<string, unknown>[]): Promise<void> {
  if (rows.length === 0) return;
  const names = columns.map(([n]) => n);
  const selects = columns.map(([n, , e]) => e ?? n);
  const defs = columns.map(([n, t]) => `${n} ${t}`).join(', ');
  const updates = names.filter((n) => !key.includes(n)).map((n) => `${n} = EXCLUDED.${n}`);
  const conflict = updates.length ? `DO UPDATE SET ${updates.join(', ')}` : 'DO NOTHING';
  await q.query(
    `INSERT INTO ${table} (${names.join(', ')}) SELECT ${selects.join(', ')} FROM jsonb_to_recordset($1::jsonb) AS t(${defs}) ON CONFLICT (${key.join(', ')}) ${conflict}`,
    [JSON.stringify(rows)],
  );
}

/** Copy optional fields that are non-null in a row into a spec. */
export function setPresent(target: JsonObject, key: string, value: unknown): void {
  if (value !== null && value !== undefined) target[key] = value as Json;
}

/** The header columns every kind table has. */
export const HEADER_COLUMNS: readonly Column[] = [
  ['name', 'text'],
  ['description', 'text'],
  ['owner', 'text'],
  ['labels', 'jsonb'],
];

/** Header fields of a spec as row values (absent → null). */
export function headerRow(name: string, spec: JsonObject): Record<string, unknown> {
  return { name, description: spec.description ?? null, owner: spec.owner ?? null, labels: spec.labels ?? null };
}

/** Header fields of a row as spec fields. */
export function headerSpec(row: Record<string, unknown>): JsonObject {
  const spec: JsonObject = {};
  setPresent(spec, 'description', row.description);
  setPresent(spec, 'owner', row.owner);
  setPresent(spec, 'labels', row.labels);
  return spec;
}
