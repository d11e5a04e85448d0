// The pure parts of LabctlClient.track(): how Retry-After is read, how long the client waits before
// resending a batch, and how the queue is cut into requests by count and by bytes. The queue itself
// is tested against a real runtime and database in test/integration/client-track.test.ts.
import { describe, expect, it } from 'vitest';
import { batchLength, retryAfterMs, retryDelay } from '../../runtime/client/index.js';

describe('retryAfterMs', () => {
  const now = Date.parse('2026-12-01T10:00:00Z');

  it('reads delay-seconds', () => {
    expect(retryAfterMs('1', now)).toBe(1000);
    expect(retryAfterMs(' 30 ', now)).toBe(30_000);
    expect(retryAfterMs('0', now)).toBe(0);
  });

  it('reads an HTTP date as the time until then, never negative', () => {
    expect(retryAfterMs('Tue, 01 Dec 2026 10:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs('Tue, 01 Dec 2026 09:59:00 GMT', now)).toBe(0);
  });

  it('ignores a missing or unreadable header', () => {
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs('', now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs('-1', now)).toBeUndefined();
    expect(retryAfterMs('1.5', now)).toBeUndefined();
  });
});

describe('retryDelay', () => {
  it('is between half and all of the nominal delay (equal jitter)', () => {
    expect(retryDelay(1000, undefined, 0)).toBe(500);
    expect(retryDelay(1000, undefined, 0.5)).toBe(750);
    expect(retryDelay(1000, undefined, 0.999)).toBeCloseTo(999.5, 6);
  });

  it('never resends before the Retry-After the runtime asked for', () => {
    expect(retryDelay(250, 1000, 0)).toBe(1000);
    expect(retryDelay(250, 1000, 0.999)).toBe(1000);
    // A longer backoff is not shortened by a short Retry-After.
    expect(retryDelay(8000, 1000, 0)).toBe(4000);
  });
});

describe('batchLength', () => {
  const envelope = '{"events":[]}'.length;

  it('takes at most batchSize events', () => {
    expect(batchLength(Array(1200).fill(10), 500, 1_000_000)).toBe(500);
    expect(batchLength(Array(499).fill(10), 500, 1_000_000)).toBe(499);
    expect(batchLength([], 500, 1_000_000)).toBe(0);
  });

  it('stops before the body would pass maxBytes, counting the envelope and the commas', () => {
    // Three events of 100 bytes: envelope + 100 + 1 + 100 + 1 + 100.
    const exact = envelope + 302;
    expect(batchLength([100, 100, 100, 100], 500, exact)).toBe(3);
    expect(batchLength([100, 100, 100, 100], 500, exact - 1)).toBe(2);
    // What the body really is: the same length as the JSON the queue builds.
    const events = ['{"a":1}', '{"bb":22}', '{"ccc":333}'];
    const body = `{"events":[${events.join(',')}]}`;
    expect(batchLength(events.map((e) => e.length), 500, body.length)).toBe(3);
    expect(batchLength(events.map((e) => e.length), 500, body.length - 1)).toBe(2);
  });

  it('sends an event larger than any request alone, so only it fails', () => {
    expect(batchLength([5000, 10, 10], 500, 1000)).toBe(1);
    expect(batchLength([10, 5000, 10], 500, 1000)).toBe(1);
  });
});
