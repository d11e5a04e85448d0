import { fieldDiff } from './field-diff.js';
import { sha256, specHash } from './hash.js';
import type { ActualResource, Change, Diagnostic, Plan, PlanKind, PlanSummary, Resource, SourceRange } from './types.js';
import { PLAN_FORMAT_VERSION } from './types.js';
import { problemToDiagnostic } from './pointer.js';

export interface DiffOptions {
  prune: boolean;
  gitSha: string;
  /** Clock, passed in so the diff stays pure. */
  now: string;
  kinds: readonly PlanKind[];
  /** Points a plan-time problem into the resource's YAML, when sources are known. */
  locate?: (resource: Resource, path: ReadonlyArray<string | number>) => SourceRange | undefined;
}

const keyOf = (kind: string, name: string) => `${kind}/${name}`;

/** Fingerprint of a resource's actual state; apply refuses a plan whose fingerprints moved. `hash` is specHash(a.spec) when already known. */
export function fingerprint(a: ActualResource | undefined, hash?: string): string {
  if (!a) return 'absent';
  return sha256(`${a.archived ? 'archived' : 'active'}:${hash ?? specHash(a.spec)}:${a.recordedHash}:${a.generation}`).slice(0, 16);
}

/** Revision of a set of active resources: a content hash independent of order. */
export function stateRevision(active: ReadonlyArray<{ kind: string; name: string; hash: string }>): string {
  const lines = active.map((r) => `${r.kind}/${r.name}@${r.hash}`).sort();
  return sha256(lines.join('\n')).slice(0, 12);
}

/** Revision of the actual state as stored. */
export function actualRevision(actual: readonly ActualResource[], hashOf: (a: ActualResource) => string = (a) => specHash(a.spec)): string | null {
  const active = actual.filter((a) => !a.archived);
  if (actual.length === 0) return null;
  return stateRevision(active.map((a) => ({ kind: a.kind, name: a.name, hash: hashOf(a) })));
}

/** Compare desired with actual state: one change per resource, plus plan-time diagnostics. Pure. */
export function diff(desired: readonly Resource[], actual: readonly ActualResource[], opts: DiffOptions): Plan {
  const order = new Map(opts.kinds.map((k, i) => [k.kind, i]));
  const actualByKey = new Map(actual.map((a) => [keyOf(a.kind, a.name), a]));
  const desiredKeys = new Set(desired.map((r) => keyOf(r.kind, r.name)));
  const changes: Change[] = [];
  const diagnostics: Diagnostic[] = [];
  const activeAfter: Array<{ kind: string; name: string; hash: string }> = [];
  // Each actual spec is hashed once: the fingerprint, the comparison and the base revision all need it.
  const actualHashes = new Map<ActualResource, string>();
  const hashOf = (a: ActualResource): string => {
    let h = actualHashes.get(a);
    if (h === undefined) actualHashes.set(a, (h = specHash(a.spec)));
    return h;
  };

  for (const r of desired) {
    const a = actualByKey.get(keyOf(r.kind, r.name));
    const hash = specHash(r.spec);
    activeAfter.push({ kind: r.kind, name: r.name, hash });
    const base = { kind: r.kind, name: r.name, fingerprint: a ? fingerprint(a, hashOf(a)) : fingerprint(undefined), source: r.source };
    if (!a) {
      changes.push({ ...base, action: 'create', before: null, after: r.spec, fields: fieldDiff(undefined, r.spec) });
      continue;
    }
    if (a.archived) {
      changes.push({ ...base, action: 'create', reason: 'restores an archived resource', before: a.spec, after: r.spec, fields: fieldDiff(a.spec, r.spec) });
      continue;
    }
    const actualHash = hashOf(a);
    if (actualHash === hash && a.recordedHash === hash) {
      changes.push({ kind: r.kind, name: r.name, action: 'no-op', before: null, after: null, fields: [], fingerprint: base.fingerprint });
      continue;
    }
    if (actualHash === hash) {
      // Rows were edited by hand back to what git declares: nothing to write but the record, so
      // status stops reporting drift.
      changes.push({ ...base, action: 'update', before: a.spec, after: r.spec, fields: [], reason: 'record out of date: the rows were edited by hand to match git; apply records it' });
      continue;
    }
    const drift = actualHash !== a.recordedHash;
    const onlyDrift = drift && a.recordedHash === hash;
    const change: Change = { ...base, action: 'update', before: a.spec, after: r.spec, fields: fieldDiff(a.spec, r.spec) };
    if (drift) {
      change.drift = true;
      change.reason = onlyDrift ? 'drift: edited outside labctl; apply restores the declared state' : 'changed in git, and also edited outside labctl';
    }
    const def = opts.kinds.find((k) => k.kind === r.kind);
    const detail = def?.describeChange?.(a.spec, r.spec);
    if (detail) change.detail = detail;
    const check = def?.checkChange?.(a.spec, r.spec);
    if (check?.reassignment) change.reassignment = check.reassignment;
    // Restoring the declared state after a hand edit needs no acknowledgement: git did not change.
    if (check && !onlyDrift) for (const p of check.problems) diagnostics.push(problemToDiagnostic(p, opts.locate?.(r, p.path)));
    changes.push(change);
  }

  for (const a of actual) {
    if (a.archived || desiredKeys.has(keyOf(a.kind, a.name))) continue;
    const base = { kind: a.kind, name: a.name, fingerprint: fingerprint(a, hashOf(a)), before: a.spec, fields: [] };
    if (opts.prune) {
      changes.push({ ...base, action: 'archive', after: null, fields: fieldDiff(a.spec, undefined) });
    } else {
      activeAfter.push({ kind: a.kind, name: a.name, hash: hashOf(a) });
      changes.push({ ...base, action: 'no-op', after: null, pendingPrune: true, reason: 'not in git: would archive with --prune' });
    }
  }

  changes.sort((x, y) => (order.get(x.kind) ?? 99) - (order.get(y.kind) ?? 99) || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return {
    format_version: PLAN_FORMAT_VERSION,
    revision: stateRevision(activeAfter),
    base_revision: actualRevision(actual, hashOf),
    created_at: opts.now,
    git_sha: opts.gitSha,
    prune: opts.prune,
    summary: summarise(changes),
    changes,
    diagnostics,
  };
}

/** Revision of the state after applying changes to actual (untouched resources keep their actual spec). */
export function revisionAfter(actual: readonly ActualResource[], changes: readonly Change[]): string {
  const active = new Map<string, { kind: string; name: string; hash: string }>();
  for (const a of actual) if (!a.archived) active.set(keyOf(a.kind, a.name), { kind: a.kind, name: a.name, hash: specHash(a.spec) });
  for (const c of changes) {
    const k = keyOf(c.kind, c.name);
    if (c.action === 'archive') active.delete(k);
    else if (c.action === 'create' || c.action === 'update') active.set(k, { kind: c.kind, name: c.name, hash: specHash(c.after!) });
  }
  return stateRevision([...active.values()]);
}

/** Counts per action, as in `Plan: 2 to add, 1 to change, 0 to archive.` */
export function summarise(changes: readonly Change[]): PlanSummary {
  const s: PlanSummary = { add: 0, change: 0, archive: 0, unchanged: 0, wouldArchive: 0 };
  for (const c of changes) {
    if (c.action === 'create') s.add++;
    else if (c.action === 'update') s.change++;
    else if (c.action === 'archive') s.archive++;
    else if (c.pendingPrune) s.wouldArchive++;
    else s.unchanged++;
  }
  return s;
}

/** Whether a plan changes anything (in the database or, through its registry steps, in MLflow). */
export function hasChanges(plan: Plan): boolean {
  return plan.summary.add + plan.summary.change + plan.summary.archive > 0 || (plan.registry?.steps.length ?? 0) > 0;
}

/** Kinds where the plan archives all, or more than half, of the active resources (the prune guard). */
export function massArchives(plan: Plan, actual: readonly ActualResource[]): Array<{ kind: string; archived: number; active: number }> {
  const active = new Map<string, number>();
  for (const a of actual) if (!a.archived) active.set(a.kind, (active.get(a.kind) ?? 0) + 1);
  const archived = new Map<string, number>();
  for (const c of plan.changes) if (c.action === 'archive') archived.set(c.kind, (archived.get(c.kind) ?? 0) + 1);
  const out: Array<{ kind: string; archived: number; active: number }> = [];
  for (const [kind, n] of archived) {
    const total = active.get(kind) ?? 0;
    if (n === total || n > total / 2) out.push({ kind, archived: n, active: total });
  }
  return out;
}
