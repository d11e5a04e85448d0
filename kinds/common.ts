import type { Json, JsonObject } from '../core/types.js';

const HEADER_FIELDS = ['description', 'owner', 'labels'] as const;

/** Copy the optional header fields shared by every kind (description, owner, labels). */
export function normaliseHeader(doc: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const f of HEADER_FIELDS) if (doc[f] !== undefined) out[f] = doc[f] as Json;
  return out;
}

/** Set key only when the value is present, so absent and default-less fields stay absent. */
export function setIf(target: JsonObject, key: string, value: Json | undefined): void {
  if (value !== undefined) target[key] = value;
}
