import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Snapshot } from '../engine/assignment/snapshot.js';

/** Health of the snapshot being served, for /readyz and /metrics. */
export interface SnapshotHealth {
  status: 'ready' | 'degraded';
  revision: string;
  /** Seconds since the snapshot was last confirmed current against the database. */
  ageSeconds: number;
  lastError: string | null;
  reloads: number;
}

/** What routes serve from: the current snapshot (swapped whole, never mutated) and its health. */
export interface SnapshotSource {
  readonly current: Snapshot;
  health(): SnapshotHealth;
}

/** One first exposure of a unit to an experiment phase. */
export interface Exposure {
  experiment: string;
  phase: number;
  unit: string;
  variant: string;
  revision: string;
  at: number;
}

/** Where routes record exposures; record() must never block or throw. */
export interface ExposureSink {
  record(e: Exposure): void;
}

/** What every route handler gets. */
export interface RouteContext {
  source: SnapshotSource;
  exposures?: ExposureSink;
  /** Clock in epoch milliseconds (passed in so handlers stay testable). */
  now: () => number;
}

/** A matched request: raw (still percent-encoded) path parameters and the query string. */
export interface RouteRequest {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: string;
}

/**
 * One HTTP route of `labctl serve`. `path` is literal segments, `:name` (one segment) and `*name`
 * (one or more segments, slashes included). The first route whose path matches decides; routes with
 * the same path differ by method, and a method none of them accepts is a 405.
 */
export interface KindRoute {
  /** Label of the route in the request metrics (`route` in labctl_http_requests_total). */
  name: string;
  method: 'GET' | 'POST';
  path: string;
  handle(ctx: RouteContext, r: RouteRequest): void | Promise<void>;
}
