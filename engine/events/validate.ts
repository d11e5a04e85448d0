import { attributeLimitProblem } from '../../core/attribute-limits.js';
import { parseDuration } from '../../core/gates/duration.js';
import { HttpError, isObject } from '../../core/http.js';
import type { JsonObject } from '../../core/types.js';
import { MAX_EVENT_ID_LENGTH, MAX_EVENTS_PER_BATCH, type EventRejection, type ValidEvent } from './types.js';

/** Longest event name. */
export const MAX_EVENT_NAME_LENGTH = 200;
/** How far ahead of the server's clock a timestamp may be (client clocks drift). */
export const DEFAULT_MAX_FUTURE_SKEW_MS = 5 * 60_000;
/** Deepest nesting of arrays and objects in attributes and properties. */
export const MAX_JSON_DEPTH = 32;

export interface ValidateOptions {
  /** Default 5 minutes. */
  maxFutureSkewMs?: number;
  /** Events older than this are rejected (their partition may already be dropped); unset keeps all. */
  retentionMs?: number;
}

export type EventValidation = { ok: true; event: ValidEvent } | { ok: false; code: string; message: string };

export interface BatchValidation {
  valid: Array<{ index: number; event: ValidEvent }>;
  rejected: EventRejection[];
}

const fail = (code: string, message: string): EventValidation => ({ ok: false, code, message });

// PostgreSQL text and jsonb cannot hold U+0000, and a lone surrogate is not valid UTF-8 (it would be
// stored altered, or fail the whole batch): such strings are rejected with the event.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function unstorable(s: string): string | undefined {
  const m = UNSTORABLE.exec(s);
  if (!m) return undefined;
  return m[0] === '\u0000' ? 'contains a NUL character (U+0000)' : 'contains a lone UTF-16 surrogate (not valid Unicode)';
}

/** Why a value is not plain JSON (a finite number, string, boolean, null, array or plain object), or undefined. */
function notJson(v: unknown, path: string, depth: number): string | undefined {
  if (typeof v === 'string') {
    const why = unstorable(v);
    return why ? `${path} ${why}` : undefined;
  }
  if (v === null || typeof v === 'boolean') return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : `${path} is ${String(v)}, which JSON cannot hold`;
  if (depth >= MAX_JSON_DEPTH) return `${path} is nested deeper than ${MAX_JSON_DEPTH} levels`;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const why = notJson(v[i], `${path}[${i}]`, depth + 1);
      if (why) return why;
    }
    return undefined;
  }
  if (isObject(v)) {
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) return `${path} is not a plain object`;
    for (const [k, x] of Object.entries(v)) {
      const badKey = unstorable(k);
      if (badKey) return `a key of ${path} ${badKey}`;
      const why = notJson(x, `${path}.${k}`, depth + 1);
      if (why) return why;
    }
    return undefined;
  }
  return `${path} is a ${typeof v}, which JSON cannot hold`;
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?([Zz]|([+-])(\d{2}):?(\d{2}))?)?$/;

/**
 * Epoch milliseconds of an ISO 8601 / RFC 3339 timestamp, or a reason it is not one. A date alone
 * is midnight UTC; a time needs `Z` or an offset, since a server-local reading would depend on
 * where the server runs. Fractions below a millisecond are dropped.
 */
export function parseTimestamp(text: string): { ok: true; ms: number } | { ok: false; reason: string } {
  const m = ISO.exec(text.trim());
  if (!m) return { ok: false, reason: 'is not an ISO 8601 timestamp' };
  const [, y, mo, d, h, mi, s, frac, zone, sign, oh, om] = m;
  if (h !== undefined && zone === undefined) return { ok: false, reason: 'has a time but no time zone' };
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h ?? 0);
  const minute = Number(mi ?? 0);
  const second = Number(s ?? 0);
  const ms = frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  // A field out of range (month 13, 31 June, 25:00) rolls over in Date: compare what came back.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || date.getUTCHours() !== hour || date.getUTCMinutes() !== minute || date.getUTCSeconds() !== second) {
    return { ok: false, reason: 'names a date or time that does not exist' };
  }
  let offsetMin = 0;
  if (sign) {
    if (Number(oh) > 23 || Number(om) > 59) return { ok: false, reason: 'has an invalid time zone offset' };
    offsetMin = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  }
  const at = date.getTime() - offsetMin * 60_000;
  // Year 0 and what an offset pushes outside 0001–9999 have no ISO form PostgreSQL reads back alike.
  const shifted = new Date(at).getUTCFullYear();
  if (shifted < 1 || shifted > 9999) return { ok: false, reason: 'is outside the years 0001 to 9999' };
  return { ok: true, ms: at };
}

const EXAMPLE_TS = '"2026-12-01T10:00:00Z"';

/**
 * Check one event as sent to POST /v1/events (or read from an import file) and normalise it: the
 * first problem found, in field order, with a message naming the field and how to fix it. Fields
 * that are not part of an event are ignored.
 */
export function validateEvent(raw: unknown, nowMs: number, opts: ValidateOptions = {}): EventValidation {
  if (!isObject(raw)) return fail('invalid_event', `an event must be a JSON object with "id", "event" and "attributes"; got ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : `a ${typeof raw}`}`);
  const { id, event, attributes, value, timestamp, properties } = raw;

  if (id === undefined || id === null) return fail('missing_id', '"id" is missing: give every event a unique id of your own (e.g. a UUID), so a retry is recognised as a duplicate');
  if (typeof id !== 'string') return fail('invalid_id', `"id" must be a string; got ${typeof id === 'number' ? `the number ${id} (send it as a string: "${id}")` : `a ${Array.isArray(id) ? 'list' : typeof id} (send a unique string such as a UUID)`}`);
  if (id.length === 0) return fail('invalid_id', '"id" is empty: send a unique, non-empty id (e.g. a UUID)');
  if (id.length > MAX_EVENT_ID_LENGTH) return fail('invalid_id', `"id" is ${id.length} characters; the limit is ${MAX_EVENT_ID_LENGTH} (use a UUID or a hash)`);
  const badId = unstorable(id);
  if (badId) return fail('invalid_id', `"id" ${badId}: use printable characters, e.g. a UUID`);

  if (event === undefined || event === null) return fail('missing_event', '"event" is missing: name what happened, e.g. "checkout_completed" (a metric\'s event)');
  if (typeof event !== 'string' || event.length === 0 || event.length > MAX_EVENT_NAME_LENGTH) {
    const got = typeof event !== 'string' ? `a ${typeof event}` : event.length === 0 ? 'an empty string' : `${event.length} characters`;
    return fail('invalid_event_name', `"event" must be a name of 1 to ${MAX_EVENT_NAME_LENGTH} characters; got ${got}`);
  }
  const badName = unstorable(event);
  if (badName) return fail('invalid_event_name', `"event" ${badName}: use a plain name such as "checkout_completed"`);

  if (attributes === undefined || attributes === null) {
    return fail('invalid_attributes', '"attributes" is missing: send the same attributes as to /v1/assign (e.g. {"user_id":"u1"}), which link the event to a unit');
  }
  if (!isObject(attributes)) return fail('invalid_attributes', `"attributes" must be an object such as {"user_id":"u1"}; got ${Array.isArray(attributes) ? 'an array' : `a ${typeof attributes}`}`);
  // The same limits as /v1/assign: these attributes are matched against targeting later.
  const tooLarge = attributeLimitProblem(attributes);
  if (tooLarge) return fail('invalid_attributes', `"attributes" exceed a limit: ${tooLarge}`);
  const badAttr = notJson(attributes, 'attributes', 0);
  if (badAttr) return fail('invalid_attributes', `"attributes" must hold JSON values only: ${badAttr}`);

  let v: number | null = null;
  if (value !== undefined && value !== null) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return fail('invalid_value', `"value" must be a finite number, e.g. 42.5; got ${typeof value === 'number' ? String(value) : `a ${typeof value}`} (leave it out when the event has no value)`);
    }
    v = value;
  }

  let ts = nowMs;
  if (timestamp !== undefined && timestamp !== null) {
    if (typeof timestamp !== 'string') return fail('invalid_timestamp', `"timestamp" must be an ISO 8601 string such as ${EXAMPLE_TS}; got a ${typeof timestamp}`);
    const parsed = parseTimestamp(timestamp);
    if (!parsed.ok) return fail('invalid_timestamp', `"timestamp" ${JSON.stringify(timestamp.slice(0, 60))} ${parsed.reason}: write it like ${EXAMPLE_TS} or with an offset, e.g. "2026-12-01T11:00:00+01:00" (or leave it out for the time received)`);
    ts = parsed.ms;
    const skew = opts.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS;
    if (ts > nowMs + skew) {
      return fail('future_timestamp', `"timestamp" ${timestamp} is ${Math.round((ts - nowMs) / 1000)} s ahead of the server's clock (at most ${Math.round(skew / 1000)} s is allowed): check the sender's clock and time zone, or leave it out`);
    }
    if (opts.retentionMs !== undefined && ts < nowMs - opts.retentionMs) {
      return fail('expired_timestamp', `"timestamp" ${timestamp} is older than the retention of ${Math.round(opts.retentionMs / 86_400_000)} day(s) (LABCTL_EVENT_RETENTION), so it would be deleted at once: drop the event or raise the retention`);
    }
  }

  let props: JsonObject | null = null;
  if (properties !== undefined && properties !== null) {
    if (!isObject(properties)) return fail('invalid_properties', `"properties" must be an object such as {"currency":"EUR"}; got ${Array.isArray(properties) ? 'an array' : `a ${typeof properties}`}`);
    const badProp = notJson(properties, 'properties', 0);
    if (badProp) return fail('invalid_properties', `"properties" must hold JSON values only: ${badProp}`);
    props = properties as JsonObject;
  }

  return { ok: true, event: { id, event, attributes: attributes as JsonObject, value: v, ts, properties: props } };
}

/**
 * Check a POST /v1/events body: each event on its own (a bad one is rejected by index, the others
 * stay valid). A body that is not `{"events":[…]}` is a 400, more than MAX_EVENTS_PER_BATCH a 413.
 */
export function validateBatch(body: unknown, nowMs: number, opts: ValidateOptions = {}): BatchValidation {
  if (!isObject(body)) throw new HttpError(400, 'invalid_body', 'request body must be a JSON object: {"events":[{"id","event","attributes",…}]}');
  const events = body.events;
  if (events === undefined) throw new HttpError(400, 'invalid_body', 'request body has no "events": send {"events":[{"id","event","attributes",…}]}');
  if (!Array.isArray(events)) throw new HttpError(400, 'invalid_body', `"events" must be an array of events; got ${events === null ? 'null' : `a ${typeof events}`}`);
  if (events.length > MAX_EVENTS_PER_BATCH) {
    throw new HttpError(413, 'too_many_events', `the batch holds ${events.length} events; the limit is ${MAX_EVENTS_PER_BATCH} per request: split it`);
  }
  const valid: BatchValidation['valid'] = [];
  const rejected: EventRejection[] = [];
  events.forEach((raw, index) => {
    const r = validateEvent(raw, nowMs, opts);
    if (r.ok) valid.push({ index, event: r.event });
    else rejected.push({ index, code: r.code, message: r.message });
  });
  return { valid, rejected };
}

/**
 * LABCTL_EVENT_RETENTION (`400d`, `52w`, `720h`…) in milliseconds; empty or unset keeps events
 * forever. At least a day, so a typo cannot make every event expired.
 */
export function parseRetention(text: string | undefined): { ok: true; ms: number | undefined } | { ok: false; message: string; hint: string } {
  if (text === undefined || text.trim() === '') return { ok: true, ms: undefined };
  const d = parseDuration(text);
  if (!d.ok) return { ok: false, message: `LABCTL_EVENT_RETENTION="${text}": ${d.message}`, hint: d.hint };
  if (d.seconds < 86_400) return { ok: false, message: `LABCTL_EVENT_RETENTION="${text}" is shorter than a day`, hint: 'write at least 1d (e.g. 400d), or unset it to keep events forever' };
  return { ok: true, ms: d.seconds * 1000 };
}
