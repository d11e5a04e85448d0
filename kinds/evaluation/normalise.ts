import { formatDuration, parseDuration } from '../../core/gates/duration.js';
import type { Json, JsonObject } from '../../core/types.js';
import { formatOfName } from '../../engine/evaluation/spec.js';
import { normaliseHeader, setIf } from '../common.js';

/** Defaults of a `sessions` dataset. */
export const SESSIONS_DEFAULTS = { since: '7d', limit: 500 } as const;

const TARGET_FIELDS = ['prompt', 'flow', 'experiment', 'model', 'output', 'alias', 'version', 'server'] as const;
const ASSERT_FIELDS = ['type', 'value', 'threshold', 'provider', 'cutoff', 'description'] as const;

/** The target with its fields in a fixed order; a model version as text (3 and "3" are the same), a server without a trailing slash. */
function normaliseTarget(raw: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const k of TARGET_FIELDS) setIf(out, k, raw[k]);
  if (typeof out.version === 'number') out.version = String(out.version);
  if (typeof out.server === 'string') out.server = out.server.replace(/\/+$/, '');
  return out;
}

/** The dataset with its format filled in from the file name, and the sessions defaults; a duration in canonical form. */
function normaliseDataset(raw: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const k of ['path', 'uri', 'sha256', 'format']) setIf(out, k, raw[k]);
  const named = typeof raw.path === 'string' ? raw.path : typeof raw.uri === 'string' ? raw.uri : undefined;
  if (out.format === undefined && named !== undefined) setIf(out, 'format', formatOfName(named));
  if (raw.sessions !== undefined) {
    const s = raw.sessions as JsonObject;
    const since = (s.since as string | undefined) ?? SESSIONS_DEFAULTS.since;
    const d = parseDuration(since);
    // A duration that does not parse is kept as written, so the rule reports it with its offset.
    out.sessions = { flow: s.flow as string, since: d.ok ? formatDuration(d.seconds) : since, limit: (s.limit as number | undefined) ?? SESSIONS_DEFAULTS.limit };
  }
  return out;
}

function normaliseAssert(raw: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const k of ASSERT_FIELDS) setIf(out, k, raw[k]);
  return out;
}

/**
 * The normalised Evaluation: header fields, `target` (fields in a fixed order), `dataset` (with
 * `format` from the file name when not given, and `sessions` defaults since 7d and limit 500),
 * `asserts` as written (fields in a fixed order), and `threshold` with `pass_rate` defaulting to 1.
 */
export function normaliseEvaluation(doc: JsonObject): JsonObject {
  const out = normaliseHeader(doc);
  out.target = normaliseTarget(doc.target as JsonObject);
  out.dataset = normaliseDataset(doc.dataset as JsonObject);
  out.asserts = (doc.asserts as JsonObject[]).map(normaliseAssert) as Json[];
  out.threshold = { pass_rate: ((doc.threshold as JsonObject | undefined)?.pass_rate as number | undefined) ?? 1 };
  return out;
}
