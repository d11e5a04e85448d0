import type { PathProblem } from '../core/pointer.js';
import type { JsonObject, ReassignmentImpact, Resource } from '../core/types.js';

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
}

/** What a kind says about one change from before to after (both normalised specs). */
export interface ChangeCheck {
  reassignment?: ReassignmentImpact;
  problems: RuleProblem[];
}

/** A kind = schema + normaliser + semantic rules + field diff; everything else is generic. */
export interface KindDef {
  kind: string;
  /** File name under specs/. */
  schemaFile: string;
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
}
