import type { RegistryPlan } from './registry.js';

import type { Json, JsonObject } from './json.js';

export type { Json, JsonObject } from './json.js';

export type Severity = 'error' | 'warning';

export interface Position {
  line: number;
  column: number;
}

export interface SourceRange {
  filename: string;
  start: Position;
  end: Position;
}

/** A positioned problem a user can fix: validation, plan checks and guards all speak this type. */
export interface Diagnostic {
  severity: Severity;
  code: string;
  summary: string;
  detail?: string;
  /** One-line fix hint. */
  hint?: string;
  /** JSON pointer into the document, e.g. `/variants/1/weight`. */
  path?: string;
  range?: SourceRange;
}

/** A problem found by a rule, addressed by a path inside the resource's document. */
export interface PathProblem {
  severity?: 'error' | 'warning';
  code: string;
  summary: string;
  detail?: string;
  hint?: string;
  path: ReadonlyArray<string | number>;
  /** Character offset inside the string at path, for a position within a multi-line value. */
  offset?: number;
}

/** Where a resource was declared. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
  /** Index of the YAML document inside the file (0-based). */
  document: number;
}

/** A desired resource: a validated, normalised spec. */
export interface Resource {
  kind: string;
  name: string;
  spec: JsonObject;
  source?: SourceLocation;
}

/** A resource as read back from the state store. */
export interface ActualResource {
  kind: string;
  name: string;
  /** Spec reconstructed from the typed tables (so hand edits show up). */
  spec: JsonObject;
  /** Hash recorded by the last apply; differs from hash(spec) when rows were edited by hand. */
  recordedHash: string;
  generation: number;
  archived: boolean;
  gitSha: string;
  appliedAt: string;
}

export type Action = 'create' | 'update' | 'archive' | 'no-op';

/** One changed leaf between before and after; absent values are omitted. */
export interface FieldDiff {
  path: string;
  before?: Json;
  after?: Json;
}

/** What a change of allocation does to the units of a running experiment. */
export interface ReassignmentImpact {
  /** Share of all units whose assignment (variant or enrolment) changes. */
  changed: number;
  /** Share of all units that were enrolled and now get another variant or leave. */
  moved: number;
  /** Share of all units that enter the experiment (ramp-up; safe). */
  entering: number;
  /** True when the share is an expectation (seed or layer-hash change) rather than exact. */
  estimated: boolean;
  /** Whether the spec acknowledged the move (phase bumped). */
  acknowledged: boolean;
  causes: string[];
}

export interface Change {
  kind: string;
  name: string;
  action: Action;
  before: JsonObject | null;
  after: JsonObject | null;
  fields: FieldDiff[];
  /** Why this change exists when it is not obvious: drift, would-archive, unarchive. UI only. */
  reason?: string;
  /** The live row differs from what labctl last applied (edited by hand). */
  drift?: boolean;
  /** Resource is in the database but not in git and --prune was not given. */
  pendingPrune?: boolean;
  reassignment?: ReassignmentImpact;
  /** Extra text for people, e.g. a unified diff of a prompt template. UI only. */
  detail?: string;
  /** Hash of the actual state this change was planned against; apply refuses if it moved. */
  fingerprint: string;
  source?: SourceLocation;
}

export interface PlanSummary {
  add: number;
  change: number;
  archive: number;
  unchanged: number;
  wouldArchive: number;
}

export const PLAN_FORMAT_VERSION = '1';

/** A plan is plain versioned data; every renderer draws from it. */
export interface Plan {
  format_version: string;
  /** Revision of the state after this plan is applied. */
  revision: string;
  /** Revision of the state the plan was computed against (null for an empty database). */
  base_revision: string | null;
  /** Set when the plan compares with a git ref (`plan --base`) instead of the database; such a plan cannot be applied. */
  base_ref?: string;
  created_at: string;
  git_sha: string;
  /** The spec files differed from git_sha when the plan was made (uncommitted edits); absent: clean. */
  git_dirty?: boolean;
  prune: boolean;
  summary: PlanSummary;
  changes: Change[];
  diagnostics: Diagnostic[];
  /** What apply does in the model registry (MLflow); absent when no Model or PromotionPolicy is declared. */
  registry?: RegistryPlan;
  /** Decisions of running experiments that declare `decision`, computed from their results when the plan was made (`labctl plan` only). */
  decisions?: PlanDecision[];
}

/** An experiment's decision at planning time: ship, keep running, stop or inconclusive, and why. */
export interface PlanDecision {
  experiment: string;
  status: 'ship' | 'keep_running' | 'stop' | 'inconclusive';
  variant: string | null;
  units: number;
  reasons: string[];
  summary: string;
}

/** A spec file as delivered by a source (a directory, a git ref): its bytes, or why they could not be read. */
export interface SpecFile {
  path: string;
  bytes?: Buffer;
  error?: string;
}

/** What a kind says about one change from before to after (both normalised specs). */
export interface ChangeCheck {
  reassignment?: ReassignmentImpact;
  problems: PathProblem[];
}

/** What the diff needs to know of a kind: its name and its plan-time checks of an update. */
export interface PlanKind {
  kind: string;
  /** Plan-time check of an update (e.g. reassignment safety). */
  checkChange?(before: JsonObject, after: JsonObject): ChangeCheck;
  /** Extra text shown under an update, e.g. a unified diff of a prompt template. */
  describeChange?(before: JsonObject, after: JsonObject): string | undefined;
}
