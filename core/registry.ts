/**
 * The model-registry part of a plan: what labctl will do in MLflow (create registered models, set
 * descriptions and tags, move aliases) and why (each promotion policy's decision with its gates).
 * Plain data, like the rest of the plan: renderers draw from it and apply runs its steps.
 */
import type { GateResult } from './gates/index.js';

export type { GateResult };

/** Why an alias moves. */
export type AliasReason =
  /** A promotion policy's candidate passed its gates. */
  | 'promotion'
  /** A pinned alias (`aliases: { baseline: { version: 3 } }`) is set to its declared version. */
  | 'pin'
  /** An alias moved by hand in MLflow is put back (pinned aliases, or a policy with onDrift: restore). */
  | 'restore';

interface StepBase {
  /** labctl's Model name. */
  model: string;
  /** The registered model's name in MLflow. */
  mlflowName: string;
}

/** One idempotent call (or verified group of calls) against MLflow. */
export type RegistryStep =
  | (StepBase & { op: 'create-model'; description?: string; tags: Record<string, string> })
  | (StepBase & { op: 'set-description'; description: string; before: string })
  | (StepBase & { op: 'set-model-tag'; key: string; value: string; before?: string })
  | (StepBase & { op: 'delete-model-tag'; key: string; before: string })
  | (StepBase & {
      op: 'set-alias';
      alias: string;
      version: string;
      /** The version the alias pointed at when planned (null: not set). */
      from: string | null;
      reason: AliasReason;
      policy?: string;
      gates?: GateResult[];
      /** The alias had been moved by hand away from what labctl last set. */
      drift?: boolean;
    });

/** What a promotion policy decided for its model. */
export type PromotionOutcome =
  /** The candidate passed every gate: the target alias moves to it. */
  | 'promote'
  /** The candidate failed a gate: nothing changes. */
  | 'blocked'
  /** The candidate already holds the target alias. */
  | 'current'
  /** No version qualifies as the candidate (alias unset, no version with the tags). */
  | 'no-candidate'
  /** The registered model does not exist in MLflow yet. */
  | 'waiting'
  /** The target alias was moved by hand and the policy only reports drift (onDrift: report). */
  | 'held'
  /** The target alias was moved by hand; the policy puts labctl's last promotion back (onDrift: restore). */
  | 'restore';

export interface PromotionDecision {
  policy: string;
  model: string;
  mlflowName: string;
  target: string;
  outcome: PromotionOutcome;
  /** How the candidate is chosen, for people: `alias challenger` or `newest version with tags …`. */
  candidateRule: string;
  candidate: string | null;
  /** The version at the target alias now (null: not set). */
  incumbent: string | null;
  gates: GateResult[];
  /** One line for people. */
  message: string;
}

/** Something worth saying that changes nothing: drift that is only reported, a version that is not ready. */
export interface RegistryNote {
  model: string;
  level: 'info' | 'warning';
  message: string;
}

/** Per model: the observed state the plan was made against, for the stale-plan check. */
export interface RegistryModelState {
  model: string;
  mlflowName: string;
  exists: boolean;
  /** Hash of what was read from MLflow for this model; apply refuses a saved plan when it moved. */
  fingerprint: string;
}

export interface RegistryPlan {
  /** planned: MLflow was read; skipped: MLflow is not configured (nothing is read or written). */
  status: 'planned' | 'skipped';
  /** Why skipped, e.g. `MLflow not configured`. */
  reason?: string;
  /** The tracking server, credentials removed. */
  trackingUri?: string;
  /** Declared models and policies (listed even when skipped, so nothing disappears silently). */
  declared: { models: string[]; policies: string[] };
  models: RegistryModelState[];
  /** In execution order. */
  steps: RegistryStep[];
  decisions: PromotionDecision[];
  notes: RegistryNote[];
  /** HTTP requests the plan took (benchmarks and curious users). */
  requests?: number;
}

/** A registered model as read from MLflow for planning. */
export interface ObservedVersion {
  version: string;
  status: string;
  runId: string;
  createdAt?: number;
  tags: Record<string, string>;
}

export interface ObservedModel {
  mlflowName: string;
  exists: boolean;
  /** The entry is an MLflow prompt, not a model. */
  isPrompt: boolean;
  description: string;
  tags: Record<string, string>;
  aliases: Record<string, string>;
  versions: ObservedVersion[];
}

/** Everything planning reads from MLflow and from labctl's own records. */
export interface RegistryObservation {
  /** By labctl Model name. */
  models: Map<string, ObservedModel>;
  /** Latest metric values by run id; null when the run does not exist. */
  runs: Map<string, Record<string, number> | null>;
  /** The version labctl last set each alias to, by `model/alias` (from labctl.promotions). */
  lastSet: Map<string, string>;
}
