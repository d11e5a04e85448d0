import { canonicalJson, sha256 } from '../../core/hash.js';
import type { Json, JsonObject } from '../../core/types.js';

/** The part of a flow that decides how a conversation goes; its hash is the version. */
export interface FlowContent {
  slots: JsonObject;
  session: JsonObject;
  steps: Json[];
}

/** Content fields of a normalised Flow spec (header fields are not content). */
export function flowContent(spec: JsonObject): FlowContent {
  return { slots: spec.slots as JsonObject, session: spec.session as JsonObject, steps: spec.steps as Json[] };
}

/** Version of flow content: SHA-256 of its canonical JSON, as prompts are versioned. */
export function flowVersion(content: FlowContent): string {
  return sha256(canonicalJson(content as unknown as Json));
}
