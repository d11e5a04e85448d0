import type { JsonObject } from '../../core/types.js';
import type { Queryable } from '../../core/db.js';
import { modelAliasesToken, readModelAliases } from '../../adapters/state/model-aliases.js';
import { readActualState } from '../../adapters/state/state.js';
import { KINDS } from '../../kinds/index.js';
import type { KindDef } from '../../kinds/types.js';
import { readPromptVersions } from '../../kinds/prompt/table.js';
import { readFlowVersions } from '../../kinds/flow/table.js';
import { buildSnapshot, type Snapshot } from '../../engine/assignment/snapshot.js';

/** The revision of the applied specs recorded by apply ('empty' before the first apply). */
async function readSpecRevision(q: Queryable): Promise<string> {
  const rows = await q.query<{ revision: string }>('SELECT revision FROM labctl.state');
  return rows[0]?.revision ?? 'empty';
}

/**
 * The revision the runtime serves: the applied specs' revision, followed by `.` and a token of the
 * model alias versions read from MLflow when there are any (`ef402be589bd.3c9a01f2`). A promotion
 * moves an alias without changing any spec, so the token is what makes replicas reload for it.
 */
export function servedRevision(specRevision: string, aliasToken: string): string {
  return aliasToken === '' ? specRevision : `${specRevision}.${aliasToken}`;
}

/** The served revision (see servedRevision) as the database holds it now; what replicas poll. */
export async function readAppliedRevision(q: Queryable): Promise<string> {
  const [revision, aliases] = await Promise.all([readSpecRevision(q), readModelAliases(q)]);
  return servedRevision(revision, modelAliasesToken(aliases));
}

/** A snapshot of the applied (non-archived) state, read consistently in one repeatable-read transaction. */
export async function loadAppliedSnapshot(db: { transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> }, kinds: readonly KindDef[] = KINDS): Promise<Snapshot> {
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    const specRevision = await readSpecRevision(tx);
    const modelAliases = await readModelAliases(tx);
    const actual = (await readActualState(tx, kinds)).filter((a) => !a.archived);
    const promptVersions = byName(await readPromptVersions(tx));
    const flowVersions = byName(await readFlowVersions(tx));
    return { ...buildSnapshot(actual, servedRevision(specRevision, modelAliasesToken(modelAliases)), Date.now(), { modelAliases }), promptVersions, flowVersions };
  });
}

/** Version rows grouped by name, each with its content as a spec carrying its version. */
function byName(rows: ReadonlyArray<{ name: string; version: string; content: JsonObject }>): Map<string, Array<{ version: string; spec: JsonObject }>> {
  const out = new Map<string, Array<{ version: string; spec: JsonObject }>>();
  for (const v of rows) {
    const list = out.get(v.name) ?? [];
    list.push({ version: v.version, spec: { ...v.content, version: v.version } });
    out.set(v.name, list);
  }
  return out;
}
