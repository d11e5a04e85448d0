// labctl.model_aliases: what the aliases of managed models point at in MLflow, as apply last read or
// wrote them. Keyed by labctl's Model name (not the MLflow name). The runtime resolves
// `model: NAME@ALIAS` references in experiment variants from these rows.
import { createHash } from 'node:crypto';
import type { Queryable } from '../../core/db.js';

/** model → alias → version. */
export type ModelAliases = Map<string, Record<string, string>>;

/** Every row, as model → alias → version (alias records have no prototype: any alias name is safe). */
export async function readModelAliases(q: Queryable): Promise<ModelAliases> {
  const rows = await q.query<{ model: string; alias: string; version: string }>('SELECT model, alias, version FROM labctl.model_aliases ORDER BY model, alias');
  const out: ModelAliases = new Map();
  for (const r of rows) {
    let aliases = out.get(r.model);
    if (!aliases) out.set(r.model, (aliases = Object.create(null) as Record<string, string>));
    aliases[r.alias] = r.version;
  }
  return out;
}

/**
 * Make model's rows exactly `aliases` (alias → version) in one statement: rows of other aliases are
 * deleted, new ones inserted, changed versions updated (with updated_at); rows that already hold
 * the version are not touched. Returns whether any row changed. An empty record removes the model's rows.
 */
export async function replaceModelAliases(q: Queryable, model: string, aliases: Readonly<Record<string, string>>): Promise<boolean> {
  const wanted: Record<string, string> = {};
  for (const [alias, version] of Object.entries(aliases)) {
    if (typeof version !== 'string' || version === '') throw new Error(`model ${model}: alias ${alias} must point at a version (a non-empty string), not ${JSON.stringify(version)}`);
    wanted[alias] = version;
  }
  const rows = await q.query<{ changed: number }>(
    `WITH wanted AS (
       SELECT key AS alias, value AS version FROM jsonb_each_text($2::jsonb)
     ), removed AS (
       DELETE FROM labctl.model_aliases m
        WHERE m.model = $1 AND NOT EXISTS (SELECT 1 FROM wanted w WHERE w.alias = m.alias)
       RETURNING 1
     ), written AS (
       INSERT INTO labctl.model_aliases AS m (model, alias, version, updated_at)
       SELECT $1, alias, version, now() FROM wanted
       ON CONFLICT (model, alias) DO UPDATE SET version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
        WHERE m.version IS DISTINCT FROM EXCLUDED.version
       RETURNING 1
     )
     SELECT ((SELECT count(*) FROM removed) + (SELECT count(*) FROM written))::int AS changed`,
    [model, JSON.stringify(wanted)],
  );
  return Number(rows[0]?.changed ?? 0) > 0;
}

/**
 * A short stable hash of the rows (8 hex digits), '' when there are none. Independent of the order
 * rows were read or aliases were inserted in; changes whenever any (model, alias, version) changes.
 */
export function modelAliasesToken(map: ReadonlyMap<string, Readonly<Record<string, string>>>): string {
  const rows: Array<[string, string, string]> = [];
  for (const [model, aliases] of map) for (const alias of Object.keys(aliases)) rows.push([model, alias, aliases[alias]!]);
  if (rows.length === 0) return '';
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(rows)).digest('hex').slice(0, 8);
}
