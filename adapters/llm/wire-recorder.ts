/**
 * Counts the HTTP attempts of one SDK call and keeps the body it last sent. The SDKs retry inside
 * one call and say nothing about it on success, so the only sound count is at their `fetch` hook:
 * each attempt goes through it once. One client serves concurrent calls, so the attempt is
 * credited to the call whose async context made it (the SDKs schedule their retries from the
 * call's own promises and timers, which keep that context).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Json } from '../../core/json.js';

type Fetch = typeof globalThis.fetch;

/** What one call sent: how many times, and the last body. */
export class WireRecord {
  attempts = 0;
  requestBody: Json = null;

  /** Runs an SDK call so that the attempts it makes are counted here. */
  run<T>(call: () => Promise<T>): Promise<T> {
    return current.run(this, call);
  }
}

const current = new AsyncLocalStorage<WireRecord>();

/** A fetch for an SDK client that credits each attempt to the call running it. */
export function recordingFetch(base: Fetch = globalThis.fetch): Fetch {
  return (input, init) => {
    const record = current.getStore();
    if (record) {
      record.attempts++;
      record.requestBody = bodyJson(init?.body);
    }
    return base(input, init);
  };
}

function bodyJson(body: unknown): Json {
  if (typeof body !== 'string') return null;
  try {
    return JSON.parse(body) as Json;
  } catch {
    return body;
  }
}
