import { formatDuration, parseDuration } from '../../core/gates/duration.js';
import type { Json, JsonObject } from '../../core/types.js';
import { flowContent, flowVersion } from '../../engine/flows/version.js';
import { END, isExit, type StepSpec } from '../../engine/flows/spec.js';
import { normaliseHeader, setIf } from '../common.js';

/** Defaults of the session block. */
export const SESSION_DEFAULTS = { ttl: '30m', maxTurns: 30 } as const;
/** Default wait of a tool step. */
export const TOOL_TIMEOUT_DEFAULT = '10s';

/** A duration in canonical form (`90m` → `1h30m`); kept as written when it does not parse, so a rule reports it. */
function canonicalDuration(text: string): string {
  const d = parseDuration(text);
  return d.ok ? formatDuration(d.seconds) : text;
}

function normaliseSlot(raw: JsonObject): JsonObject {
  const out: JsonObject = { type: raw.type as string };
  setIf(out, 'pattern', raw.pattern);
  setIf(out, 'values', raw.values);
  setIf(out, 'description', raw.description);
  return out;
}

function normaliseTool(raw: JsonObject): JsonObject {
  const out: JsonObject = { method: (raw.method as string | undefined) ?? 'GET', url: raw.url as string, timeout: canonicalDuration((raw.timeout as string | undefined) ?? TOOL_TIMEOUT_DEFAULT) };
  for (const k of ['headers', 'body', 'output']) setIf(out, k, raw[k]);
  return out;
}

/** A step with its fields in a fixed order and `next` filled in (the following step, or end after the last). */
function normaliseStep(raw: JsonObject, following: string | undefined): JsonObject {
  const out: JsonObject = { id: raw.id as string };
  for (const k of ['collect', 'say', 'retry', 'maxAttempts', 'llm', 'set', 'call']) setIf(out, k, raw[k]);
  if (raw.tool !== undefined) out.tool = normaliseTool(raw.tool as JsonObject);
  setIf(out, 'handoff', raw.handoff);
  setIf(out, 'end', raw.end);
  // A step that leaves the flow has no next; one written there is kept for the rule that refuses it.
  if (raw.next !== undefined) out.next = raw.next;
  else if (!isExit(raw as unknown as StepSpec)) out.next = following ?? END;
  setIf(out, 'onError', raw.onError);
  return out;
}

/**
 * The normalised Flow: header fields, `slots` (each with its type and only the fields given),
 * `session` with defaults and a canonical ttl, `steps` with `next` filled in and tool defaults
 * (method GET, timeout 10s), and `version`, the SHA-256 of the canonical slots, session and steps.
 */
export function normaliseFlow(doc: JsonObject): JsonObject {
  const out = normaliseHeader(doc);
  const slots: JsonObject = {};
  for (const [name, raw] of Object.entries((doc.slots ?? {}) as Record<string, JsonObject>)) slots[name] = normaliseSlot(raw);
  out.slots = slots;
  const session = (doc.session ?? {}) as JsonObject;
  out.session = { ttl: canonicalDuration((session.ttl as string | undefined) ?? SESSION_DEFAULTS.ttl), maxTurns: (session.maxTurns as number | undefined) ?? SESSION_DEFAULTS.maxTurns };
  const steps = doc.steps as JsonObject[];
  out.steps = steps.map((s, i) => normaliseStep(s, steps[i + 1]?.id as string | undefined)) as Json[];
  out.version = flowVersion(flowContent(out));
  return out;
}
