import type { Queryable } from '../core/db.js';
import type { PathProblem } from '../core/pointer.js';
import type { ChangeCheck, JsonObject, PlanKind, Resource, SpecFile } from '../core/types.js';
import type { KindRoute } from './routes.js';

export type { ChangeCheck } from '../core/types.js';

/** A problem found by a kind's rules, addressed by a path inside the resource's document. */
export type RuleProblem = PathProblem;

/** A rule problem attached to the resource it concerns. */
export interface ResourceProblem {
  resource: Resource;
  problem: RuleProblem;
}

/** Read access to the whole desired state while checking one resource. */
export interface RuleContext {
  get(kind: string, name: string): Resource | undefined;
  ofKind(kind: string): readonly Resource[];
  /**
   * A file the specs refer to (an evaluation's dataset), by its path relative to the spec
   * directory with `/`; absent when the specs were not read from a directory (a git ref), and
   * then rules skip what needs the file.
   */
  readFile?(path: string): SpecFile;
}

/** How one kind's specs map to typed, analyst-readable tables. */
export interface KindTable {
  /** Reconstruct every stored spec (archived included) from the typed rows. */
  read(q: Queryable): Promise<Map<string, JsonObject>>;
  /** Write the given specs, replacing their rows (meta: the commit being applied, and whether the specs differed from it). */
  write(q: Queryable, items: ReadonlyArray<{ name: string; spec: JsonObject }>, meta: { gitSha: string; gitDirty?: boolean }): Promise<void>;
}

/**
 * A kind is one folder under kinds/: its schema file, normaliser, rules, plan-time checks, table
 * adapter and runtime routes. Everything else (loading, diff, apply, serving) is generic.
 */
export interface KindDef extends PlanKind {
  kind: string;
  /** File name under specs/ (the published JSON Schema that editors reference). */
  schemaFile: string;
  /** The schema itself, for a kind defined outside this package; read from specs/schemaFile when absent. */
  schema?: object;
  /** Fill defaults and canonicalise a schema-valid document; drops kind, name and apiVersion. */
  normalise(doc: JsonObject): JsonObject;
  /** Rules on one resource, with read access to the rest of the desired state. */
  rules?(resource: Resource, ctx: RuleContext): RuleProblem[];
  /** Rules over all resources of this kind at once (overlaps, uniqueness across resources). */
  groupRules?(resources: readonly Resource[], ctx: RuleContext): ResourceProblem[];
  /** Plan-time check of an update (e.g. reassignment safety). */
  checkChange?(before: JsonObject, after: JsonObject): ChangeCheck;
  /** Extra text shown under an update, e.g. a unified diff of a prompt template. */
  describeChange?(before: JsonObject, after: JsonObject): string | undefined;
  /** Where applied specs live in the state store. */
  table: KindTable;
  /** HTTP routes this kind adds to `labctl serve`. */
  routes?: readonly KindRoute[];
}
