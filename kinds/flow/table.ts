import type { Json, JsonObject } from '../../core/types.js';
import type { Queryable } from '../../core/db.js';
import { HEADER_COLUMNS, headerRow, headerSpec, upsertRows, type Column } from '../table-sql.js';
import type { KindTable } from '../types.js';

const FLOW_COLUMNS: readonly Column[] = [...HEADER_COLUMNS, ['current_version', 'text']];

/** Every applied version of a flow, content included (for sessions pinned to it, and history). */
export interface FlowVersionRow {
  name: string;
  version: string;
  /** The content fields of the normalised spec: slots, session, steps, version. */
  content: JsonObject;
  gitSha: string;
  createdAt: string;
}

interface ContentColumns {
  slots: Json | null;
  session: Json | null;
  steps: Json | null;
}

/** Content fields from a version row (absent when the row is missing: the current version was deleted by hand). */
function contentSpec(r: ContentColumns): JsonObject {
  const s: JsonObject = {};
  if (r.slots !== null) s.slots = r.slots;
  if (r.session !== null) s.session = r.session;
  if (r.steps !== null) s.steps = r.steps;
  return s;
}

/** All applied flow versions (immutable, content-addressed), oldest first per flow. */
export async function readFlowVersions(q: Queryable): Promise<FlowVersionRow[]> {
  const rows = await q.query<ContentColumns & { name: string; version: string; git_sha: string; created_at: Date }>(
    'SELECT name, version, slots, session, steps, git_sha, created_at FROM labctl.flow_versions ORDER BY name, created_at, version',
  );
  return rows.map((r) => ({ name: r.name, version: r.version, content: { ...contentSpec(r), version: r.version }, gitSha: r.git_sha, createdAt: new Date(r.created_at).toISOString() }));
}

export const flowTable: KindTable = {
  async read(q: Queryable) {
    // The current version's content comes from the version table, so an edited version row reads as drift.
    const rows = await q.query<ContentColumns & Record<string, unknown> & { name: string; current_version: string }>(
      `SELECT f.*, v.slots, v.session, v.steps FROM labctl.flows f LEFT JOIN labctl.flow_versions v ON v.name = f.name AND v.version = f.current_version`,
    );
    return new Map(rows.map((r) => [r.name, { ...headerSpec(r), ...contentSpec(r), version: r.current_version }]));
  },
  async write(q, items, meta) {
    if (items.length === 0) return;
    await upsertRows(q, 'labctl.flows', FLOW_COLUMNS, ['name'], items.map((i) => ({ ...headerRow(i.name, i.spec), current_version: i.spec.version })));
    // A version is its content: re-applying it changes nothing; a hand-edited row is put back.
    const versions = items.map((i) => ({ name: i.name, version: i.spec.version, slots: i.spec.slots, session: i.spec.session, steps: i.spec.steps, git_sha: meta.gitSha }));
    await q.query(
      `INSERT INTO labctl.flow_versions (name, version, slots, session, steps, git_sha)
       SELECT name, version, slots, session, steps, git_sha
         FROM jsonb_to_recordset($1::jsonb) AS t(name text, version text, slots jsonb, session jsonb, steps jsonb, git_sha text)
       ON CONFLICT (name, version) DO UPDATE SET slots = EXCLUDED.slots, session = EXCLUDED.session, steps = EXCLUDED.steps
       WHERE (labctl.flow_versions.slots, labctl.flow_versions.session, labctl.flow_versions.steps)
         IS DISTINCT FROM (EXCLUDED.slots, EXCLUDED.session, EXCLUDED.steps)`,
      [JSON.stringify(versions)],
    );
  },
};
