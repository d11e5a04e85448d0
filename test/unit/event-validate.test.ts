// The validation of POST /v1/events and `labctl events import` (engine/events/validate.ts): every
// rejection code, the defaults, the clock skew and retention bounds, and the batch-level errors.
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../core/http.js';
import { MAX_EVENT_ID_LENGTH, MAX_EVENTS_PER_BATCH } from '../../engine/events/types.js';
import { DEFAULT_MAX_FUTURE_SKEW_MS, MAX_JSON_DEPTH, parseRetention, parseTimestamp, validateBatch, validateEvent } from '../../engine/events/validate.js';

const NOW = Date.parse('2026-12-01T10:00:00Z');
const good = { id: 'c0ffee-1', event: 'checkout_completed', attributes: { user_id: 'u1' } };

function codeOf(raw: unknown, opts?: Parameters<typeof validateEvent>[2]): string {
  const r = validateEvent(raw, NOW, opts);
  return r.ok ? 'ok' : r.code;
}

function messageOf(raw: unknown, opts?: Parameters<typeof validateEvent>[2]): string {
  const r = validateEvent(raw, NOW, opts);
  if (r.ok) throw new Error('expected a rejection');
  return r.message;
}

function nested(depth: number): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

describe('validateEvent', () => {
  it('accepts the contract example and normalises it', () => {
    const r = validateEvent({ ...good, value: 42.5, timestamp: '2026-12-01T10:00:00Z', properties: { currency: 'EUR' } }, NOW);
    expect(r).toEqual({ ok: true, event: { id: 'c0ffee-1', event: 'checkout_completed', attributes: { user_id: 'u1' }, value: 42.5, ts: NOW, properties: { currency: 'EUR' } } });
  });

  it('defaults the timestamp to now, value and properties to null; null counts as absent', () => {
    expect(validateEvent(good, NOW)).toEqual({ ok: true, event: { ...good, value: null, ts: NOW, properties: null } });
    expect(validateEvent({ ...good, value: null, timestamp: null, properties: null }, NOW)).toEqual({ ok: true, event: { ...good, value: null, ts: NOW, properties: null } });
    expect(validateEvent({ ...good, value: 0 }, NOW)).toMatchObject({ ok: true, event: { value: 0 } });
    expect(validateEvent({ ...good, value: -3.25 }, NOW)).toMatchObject({ ok: true, event: { value: -3.25 } });
  });

  it('ignores fields that are not part of an event', () => {
    expect(validateEvent({ ...good, extra: [1, 2] }, NOW)).toEqual({ ok: true, event: { ...good, value: null, ts: NOW, properties: null } });
  });

  it('rejects what is not an object: invalid_event', () => {
    for (const raw of [null, 'x', 42, [good], true, undefined]) expect(codeOf(raw)).toBe('invalid_event');
    expect(messageOf([good])).toContain('an array');
  });

  it('ids: missing_id, invalid_id (not a string, empty, too long, unstorable); the longest id passes', () => {
    const { id: _id, ...noId } = good;
    expect(codeOf(noId)).toBe('missing_id');
    expect(codeOf({ ...good, id: null })).toBe('missing_id');
    expect(messageOf(noId)).toContain('"id"');
    expect(codeOf({ ...good, id: 7 })).toBe('invalid_id');
    expect(messageOf({ ...good, id: 7 })).toContain('"7"');
    expect(codeOf({ ...good, id: ['a'] })).toBe('invalid_id');
    expect(codeOf({ ...good, id: '' })).toBe('invalid_id');
    expect(codeOf({ ...good, id: 'x'.repeat(MAX_EVENT_ID_LENGTH) })).toBe('ok');
    expect(codeOf({ ...good, id: 'x'.repeat(MAX_EVENT_ID_LENGTH + 1) })).toBe('invalid_id');
    expect(messageOf({ ...good, id: 'x'.repeat(MAX_EVENT_ID_LENGTH + 1) })).toContain(`${MAX_EVENT_ID_LENGTH + 1} characters; the limit is ${MAX_EVENT_ID_LENGTH}`);
    expect(codeOf({ ...good, id: 'a\u0000b' })).toBe('invalid_id');
    expect(codeOf({ ...good, id: 'a\ud800b' })).toBe('invalid_id');
    // Characters that need quoting in SQL or array literals are ordinary ids.
    expect(codeOf({ ...good, id: `NULL,"{x}'\\` })).toBe('ok');
    expect(codeOf({ ...good, id: 'émoji-😀' })).toBe('ok');
  });

  it('event names: missing_event, invalid_event_name (1..200 characters)', () => {
    const { event: _e, ...noEvent } = good;
    expect(codeOf(noEvent)).toBe('missing_event');
    expect(codeOf({ ...good, event: '' })).toBe('invalid_event_name');
    expect(codeOf({ ...good, event: 3 })).toBe('invalid_event_name');
    expect(codeOf({ ...good, event: 'e'.repeat(200) })).toBe('ok');
    expect(codeOf({ ...good, event: 'e'.repeat(201) })).toBe('invalid_event_name');
    expect(messageOf({ ...good, event: 'e'.repeat(201) })).toContain('1 to 200 characters; got 201 characters');
    expect(codeOf({ ...good, event: 'x\u0000' })).toBe('invalid_event_name');
  });

  it('attributes are required and must be an object of JSON values: invalid_attributes', () => {
    const { attributes: _a, ...noAttributes } = good;
    expect(codeOf(noAttributes)).toBe('invalid_attributes');
    expect(messageOf(noAttributes)).toContain('link the event to a unit');
    for (const attributes of [null, [], 'u1', 5]) expect(codeOf({ ...good, attributes })).toBe('invalid_attributes');
    expect(codeOf({ ...good, attributes: {} })).toBe('ok');
    expect(codeOf({ ...good, attributes: { user_id: 'u1', tags: ['a', 1, null, { b: true }] } })).toBe('ok');
    expect(messageOf({ ...good, attributes: { n: Number.NaN } })).toContain('attributes.n is NaN');
    expect(codeOf({ ...good, attributes: { n: Infinity } })).toBe('invalid_attributes');
    expect(codeOf({ ...good, attributes: { d: new Date() } })).toBe('invalid_attributes');
    expect(codeOf({ ...good, attributes: { f: () => 1 } })).toBe('invalid_attributes');
    expect(codeOf({ ...good, attributes: { u: undefined } })).toBe('invalid_attributes');
    expect(messageOf({ ...good, attributes: { list: [1, 'a\u0000'] } })).toContain('attributes.list[1] contains a NUL character');
    expect(codeOf({ ...good, attributes: { ['k\u0000']: 1 } })).toBe('invalid_attributes');
    expect(codeOf({ ...good, attributes: nested(MAX_JSON_DEPTH - 1) as object })).toBe('ok');
    expect(codeOf({ ...good, attributes: nested(MAX_JSON_DEPTH + 1) as object })).toBe('invalid_attributes');
  });

  it('attributes have the same size limits as /v1/assign (docs/runtime.md): invalid_attributes', () => {
    expect(codeOf({ ...good, attributes: { user_id: 'u'.repeat(8192) } })).toBe('ok');
    expect(messageOf({ ...good, attributes: { user_id: 'u'.repeat(8193) } })).toContain('attributes.user_id is 8193 characters; the limit is 8192');
    expect(codeOf({ ...good, attributes: { user_id: 'u1', tags: Array.from({ length: 1000 }, () => 't') } })).toBe('ok');
    expect(messageOf({ ...good, attributes: { user_id: 'u1', tags: Array.from({ length: 1001 }, () => 't') } })).toContain('attributes.tags has 1001 elements');
  });

  it('value must be a finite number: invalid_value', () => {
    for (const value of ['42', true, [1], { v: 1 }, Number.NaN, Infinity, -Infinity]) expect(codeOf({ ...good, value })).toBe('invalid_value');
    expect(messageOf({ ...good, value: '42' })).toContain('"value" must be a finite number');
  });

  it('timestamps: ISO 8601 with a zone or a bare date; anything else is invalid_timestamp', () => {
    const ts = (timestamp: string) => {
      const r = validateEvent({ ...good, timestamp }, NOW);
      return r.ok ? new Date(r.event.ts).toISOString() : r.code;
    };
    expect(ts('2026-12-01T09:00:00Z')).toBe('2026-12-01T09:00:00.000Z');
    expect(ts('2026-12-01T10:00:00+01:00')).toBe('2026-12-01T09:00:00.000Z');
    expect(ts('2026-12-01T04:30:00-0430')).toBe('2026-12-01T09:00:00.000Z');
    expect(ts('2026-12-01 09:00:00.123456Z')).toBe('2026-12-01T09:00:00.123Z');
    expect(ts('2026-12-01T09:00Z')).toBe('2026-12-01T09:00:00.000Z');
    expect(ts('2026-11-30')).toBe('2026-11-30T00:00:00.000Z');
    expect(ts('0050-06-01')).toBe('0050-06-01T00:00:00.000Z');
    for (const bad of ['yesterday', '2026-12-01T09:00:00', '2026-13-01', '2026-02-30', '2026-12-01T25:00:00Z', '2026-12-01T09:61:00Z', '2026-12-01T09:00:00+25:00', '1764579600000', '', '0000-01-01', '12/01/2026']) {
      expect(ts(bad), bad).toBe('invalid_timestamp');
    }
    expect(codeOf({ ...good, timestamp: NOW })).toBe('invalid_timestamp');
    expect(messageOf({ ...good, timestamp: '2026-12-01T09:00:00' })).toContain('has a time but no time zone');
  });

  it('future_timestamp beyond the skew (5 minutes by default, configurable)', () => {
    const at = (ms: number) => new Date(NOW + ms).toISOString();
    expect(codeOf({ ...good, timestamp: at(DEFAULT_MAX_FUTURE_SKEW_MS) })).toBe('ok');
    expect(codeOf({ ...good, timestamp: at(DEFAULT_MAX_FUTURE_SKEW_MS + 1000) })).toBe('future_timestamp');
    expect(messageOf({ ...good, timestamp: at(3_600_000) })).toContain('3600 s ahead');
    expect(codeOf({ ...good, timestamp: at(60_000) }, { maxFutureSkewMs: 0 })).toBe('future_timestamp');
    expect(codeOf({ ...good, timestamp: at(3_600_000) }, { maxFutureSkewMs: 7_200_000 })).toBe('ok');
  });

  it('expired_timestamp older than the retention; without one any past is fine', () => {
    const day = 86_400_000;
    const old = new Date(NOW - 401 * day).toISOString();
    expect(codeOf({ ...good, timestamp: old })).toBe('ok');
    expect(codeOf({ ...good, timestamp: old }, { retentionMs: 400 * day })).toBe('expired_timestamp');
    expect(messageOf({ ...good, timestamp: old }, { retentionMs: 400 * day })).toContain('400 day(s)');
    expect(codeOf({ ...good, timestamp: new Date(NOW - 399 * day).toISOString() }, { retentionMs: 400 * day })).toBe('ok');
  });

  it('properties must be an object of JSON values: invalid_properties', () => {
    for (const properties of [[1], 'EUR', 3, true]) expect(codeOf({ ...good, properties })).toBe('invalid_properties');
    expect(codeOf({ ...good, properties: { amount: Number.NaN } })).toBe('invalid_properties');
    expect(codeOf({ ...good, properties: { currency: 'EUR', items: [{ sku: 'a' }] } })).toBe('ok');
  });

  it('reports the first problem in field order', () => {
    expect(codeOf({ id: '', event: '', attributes: null, value: 'x' })).toBe('invalid_id');
    expect(codeOf({ id: 'a', event: '', attributes: null, value: 'x' })).toBe('invalid_event_name');
    expect(codeOf({ id: 'a', event: 'e', attributes: null, value: 'x' })).toBe('invalid_attributes');
    expect(codeOf({ id: 'a', event: 'e', attributes: {}, value: 'x', timestamp: 'bad' })).toBe('invalid_value');
  });
});

describe('validateBatch', () => {
  it('splits valid events from rejected ones, keeping their indexes', () => {
    const r = validateBatch({ events: [good, { ...good, id: 'b', value: 'x' }, { ...good, id: 'c' }, 'nope'] }, NOW);
    expect(r.valid.map((v) => [v.index, v.event.id])).toEqual([
      [0, 'c0ffee-1'],
      [2, 'c'],
    ]);
    expect(r.rejected.map((x) => [x.index, x.code])).toEqual([
      [1, 'invalid_value'],
      [3, 'invalid_event'],
    ]);
    expect(r.rejected[0]!.message).toContain('"value"');
  });

  it('an empty batch is valid and empty', () => {
    expect(validateBatch({ events: [] }, NOW)).toEqual({ valid: [], rejected: [] });
  });

  it('a malformed body is a 400, too many events a 413', () => {
    const status = (body: unknown) => {
      try {
        validateBatch(body, NOW);
        return 'ok';
      } catch (e) {
        expect(e).toBeInstanceOf(HttpError);
        return `${(e as HttpError).status} ${(e as HttpError).code}`;
      }
    };
    for (const body of [null, [], 'x', {}, { events: null }, { events: {} }, { events: 'a' }]) expect(status(body)).toBe('400 invalid_body');
    expect(status({ events: Array.from({ length: MAX_EVENTS_PER_BATCH }, (_, i) => ({ ...good, id: `e${i}` })) })).toBe('ok');
    expect(status({ events: Array.from({ length: MAX_EVENTS_PER_BATCH + 1 }, (_, i) => ({ ...good, id: `e${i}` })) })).toBe('413 too_many_events');
  });
});

describe('parseTimestamp and parseRetention', () => {
  it('parseTimestamp keeps milliseconds and reads offsets both ways', () => {
    expect(parseTimestamp('2026-01-01T00:00:00.5Z')).toEqual({ ok: true, ms: Date.parse('2026-01-01T00:00:00.500Z') });
    expect(parseTimestamp('2026-01-01T00:30:00+00:30')).toEqual({ ok: true, ms: Date.parse('2026-01-01T00:00:00Z') });
  });

  it('parseRetention reads durations of at least a day; unset keeps forever', () => {
    expect(parseRetention(undefined)).toEqual({ ok: true, ms: undefined });
    expect(parseRetention('')).toEqual({ ok: true, ms: undefined });
    expect(parseRetention('400d')).toEqual({ ok: true, ms: 400 * 86_400_000 });
    expect(parseRetention('52w')).toEqual({ ok: true, ms: 52 * 7 * 86_400_000 });
    expect(parseRetention('12h')).toMatchObject({ ok: false, message: expect.stringContaining('shorter than a day') });
    expect(parseRetention('400')).toMatchObject({ ok: false, message: expect.stringContaining('no unit') });
    expect(parseRetention('forever')).toMatchObject({ ok: false });
  });
});
