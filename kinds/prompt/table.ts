import type { Json, JsonObject } from '../../core/types.js';
import type { Queryable } from '../../core/db.js';
import { HEADER_COLUMNS, headerRow, headerSpec, setPresent, upsertRows, type Column } from '../table-sql.js';
import type { KindTable } from '../types.js';

const PROMPT_COLUMNS: readonly Column[] = [...HEADER_COLUMNS, ['tags', 'text[]'], ['current_version', 'text'], ['mlflow', 'jsonb']];

interface PromptRow extends Record<string, unknown> {
  name: string;
  tags: string[] | null;
  current_version: string;
  mlflow: Json | null;
  type: string | null;
  template: string | null;
  messages: Json | null;
  variables: Json | null;
  model: Json | null;
}

/** Every applied version of a prompt, content included (for pinned references and history). */
export interface PromptVersionRow {
  name: string;
  version: string;
  content: JsonObject;
  /** The commit of the apply that first stored this version, and whether its specs differed from it. */
  gitSha: string;
  gitDirty: boolean;
  createdAt: string;
}

/** Rebuild content fields from a version row. */
function contentSpec(r: { type: string | null; template: string | null; messages: Json | null; variables: Json | null; model: Json | null }): JsonObject {
  const s: JsonObject = {};
  setPresent(s, 'type', r.type);
  setPresent(s, 'template', r.template);
  setPresent(s, 'messages', r.messages);
  setPresent(s, 'variables', r.variables);
  setPresent(s, 'model', r.model);
  return s;
}

/** All applied prompt versions (immutable, content-addressed). */
export async function readPromptVersions(q: Queryable): Promise<PromptVersionRow[]> {
  const rows = await q.query<{ name: string; version: string; type: string; template: string | null; messages: Json | null; variables: Json; model: Json | null; git_sha: string; git_dirty: boolean; created_at: Date }>(
    'SELECT name, version, type, template, messages, variables, model, git_sha, git_dirty, created_at FROM labctl.prompt_versions ORDER BY name, created_at',
  );
  return rows.map((r) => ({ name: r.name, version: r.version, content: contentSpec(r), gitSha: r.git_sha, gitDirty: r.git_dirty, createdAt: new Date(r.created_at).toISOString() }));
}

/** Where each prompt's current version came from: the commit that first stored it, and whether it was dirty. */
export async function readCurrentVersionProvenance(q: Queryable): Promise<Map<string, { gitSha: string; gitDirty: boolean }>> {
  const rows = await q.query<{ name: string; git_sha: string; git_dirty: boolean }>(
    'SELECT p.name, v.git_sha, v.git_dirty FROM labctl.prompts p JOIN labctl.prompt_versions v ON v.name = p.name AND v.version = p.current_version',
  );
  return new Map(rows.map((r) => [r.name, { gitSha: r.git_sha, gitDirty: r.git_dirty }]));
}

export const promptTable: KindTable = {
  async read(q: Queryable) {
    // The current version's content comes from the version table, so an edited version row reads as drift.
    const rows = await q.query<PromptRow>(
      `SELECT p.*, v.type, v.template, v.messages, v.variables, v.model
         FROM labctl.prompts p LEFT JOIN labctl.prompt_versions v ON v.name = p.name AND v.version = p.current_version`,
    );
    return new Map(
      rows.map((r) => {
        const s = headerSpec(r);
        if (r.tags?.length) s.tags = r.tags;
        Object.assign(s, contentSpec(r));
        setPresent(s, 'mlflow', r.mlflow);
        s.version = r.current_version;
        return [r.name, s];
      }),
    );
  },
  async write(q, items, meta) {
    if (items.length === 0) return;
    await upsertRows(
      q,
      'labctl.prompts',
      PROMPT_COLUMNS,
      ['name'],
      items.map((i) => ({ ...headerRow(i.name, i.spec), tags: i.spec.tags ?? null, current_version: i.spec.version, mlflow: i.spec.mlflow ?? null })),
    );
    // A version is its content: re-applying it changes nothing (its provenance stays that of the
    // apply that first stored it); a hand-edited row is put back.
    const versions = items.map((i) => ({
      name: i.name,
      version: i.spec.version,
      type: i.spec.type,
      template: i.spec.template ?? null,
      messages: i.spec.messages ?? null,
      variables: i.spec.variables ?? {},
      model: i.spec.model ?? null,
      git_sha: meta.gitSha,
      git_dirty: meta.gitDirty ?? false,
    }));
    await q.query(
      `INSERT INTO labctl.prompt_versions (name, version, type, template, messages, variables, model, git_sha, git_dirty)
       SELECT name, version, type, template, messages, variables, model, git_sha, git_dirty
         FROM jsonb_to_recordset($1::jsonb) AS t(name text, version text, type text, template text, messages jsonb, variables jsonb, model jsonb, git_sha text, git_dirty boolean)
       ON CONFLICT (name, version) DO UPDATE SET type = EXCLUDED.type, template = EXCLUDED.template, messages = EXCLUDED.messages,
         variables = EXCLUDED.variables, model = EXCLUDED.model
       WHERE (labctl.prompt_versions.type, labctl.prompt_versions.template, labctl.prompt_versions.messages, labctl.prompt_versions.variables, labctl.prompt_versions.model)
         IS DISTINCT FROM (EXCLUDED.type, EXCLUDED.template, EXCLUDED.messages, EXCLUDED.variables, EXCLUDED.model)`,
      [JSON.stringify(versions)],
    );
  },
};
