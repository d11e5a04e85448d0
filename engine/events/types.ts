import type { JsonObject } from '../../core/types.js';

/** Largest batch POST /v1/events and one import chunk accept. */
export const MAX_EVENTS_PER_BATCH = 1000;
/** Longest client id. */
export const MAX_EVENT_ID_LENGTH = 100;

/** One event as a client sends it (docs/event-ingestion-service.md). */
export interface EventInput {
  id: string;
  event: string;
  attributes: JsonObject;
  value?: number;
  /** ISO 8601; defaults to the time received. */
  timestamp?: string;
  properties?: JsonObject;
}

/** An event that passed validation, ready to store. */
export interface ValidEvent {
  id: string;
  event: string;
  attributes: JsonObject;
  value: number | null;
  /** Epoch milliseconds. */
  ts: number;
  properties: JsonObject | null;
}

/** Why one event of a batch was not accepted; `index` is its position in the batch (or a line number on import). */
export interface EventRejection {
  index: number;
  code: string;
  message: string;
}

/** The outcome of storing a batch: new events and events whose id was already stored. */
export interface StoreResult {
  accepted: number;
  duplicates: number;
}
