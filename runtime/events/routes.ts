import { createHash, timingSafeEqual } from 'node:crypto';
import type { Database } from '../../core/db.js';
import { HttpError, readJson, sendError, sendJson } from '../../core/http.js';
import type { StoreResult } from '../../engine/events/types.js';
import { validateBatch } from '../../engine/events/validate.js';
import { insertEvents } from '../../adapters/events/store.js';
import { isDatabaseUnavailable } from '../../adapters/db/unavailable.js';
import type { KindRoute } from '../../kinds/routes.js';

/** Running totals of POST /v1/events, for /metrics. */
export interface EventIngestStats {
  accepted: number;
  duplicates: number;
  rejected: number;
  /** Requests answered 503 because the database could not be reached. */
  unavailable: number;
}

export function newEventIngestStats(): EventIngestStats {
  return { accepted: 0, duplicates: 0, rejected: 0, unavailable: 0 };
}

export interface EventRoutesOptions {
  db: Database;
  /** LABCTL_INGEST_TOKEN: when set, every request must send `Authorization: Bearer <token>`. */
  token?: string;
  now?: () => number;
  log?: (line: string) => void;
  /** LABCTL_EVENT_RETENTION in ms: older events are rejected as expired_timestamp. */
  retentionMs?: number;
  maxFutureSkewMs?: number;
  /**
   * Longest wait for the store before answering 503 (default 10 s), so a silent network partition
   * is an answer, not a hang. Safe: a batch that commits after all is a duplicate on the retry.
   */
  timeoutMs?: number;
  stats?: EventIngestStats;
}

class StoreTimeout extends Error {}

/** Compare in constant time, whatever the lengths (digests have one length). */
function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(m[1]!), digest(token));
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreTimeout(`the database did not answer within ${ms / 1000} s`)), ms);
  });
  // The store's own failure after the timeout has nobody to report to.
  p.catch(() => undefined);
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * POST /v1/events (docs/event-ingestion-service.md): validate each event, store the valid ones in
 * one statement, and answer 200 with the counts only once they are committed. A database that
 * cannot be reached is a 503 with Retry-After, for the client to resend the same ids.
 */
export function eventRoutes(opts: EventRoutesOptions): KindRoute[] {
  const now = opts.now ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const stats = opts.stats ?? newEventIngestStats();
  // An outage is logged when it starts and when it ends, not once per request.
  let outage: { since: number; answered: number } | undefined;

  const store = async (events: Parameters<typeof insertEvents>[1]): Promise<StoreResult | undefined> => {
    try {
      const r = await withTimeout(insertEvents(opts.db, events), timeoutMs);
      if (outage) {
        opts.log?.(`events: database reachable again after ${((now() - outage.since) / 1000).toFixed(1)} s; ${outage.answered} request(s) were answered 503`);
        outage = undefined;
      }
      return r;
    } catch (e) {
      if (!(e instanceof StoreTimeout) && !isDatabaseUnavailable(e)) throw e;
      if (!outage) {
        outage = { since: now(), answered: 0 };
        opts.log?.(`events: database unavailable, answering 503 until it is back: ${(e as Error).message}`);
      }
      outage.answered++;
      return undefined;
    }
  };

  const ingest: KindRoute = {
    name: 'events',
    method: 'POST',
    path: '/v1/events',
    async handle(ctx, { req, res }) {
      const revision = ctx?.source.current.revision;
      if (opts.token !== undefined && !tokenMatches(req.headers.authorization, opts.token)) {
        req.resume();
        res.setHeader('www-authenticate', 'Bearer');
        sendError(res, new HttpError(401, 'unauthorized', 'missing or wrong token: send "Authorization: Bearer <LABCTL_INGEST_TOKEN>"'), revision);
        return;
      }
      const body = await readJson(req);
      const { valid, rejected } = validateBatch(body, now(), { retentionMs: opts.retentionMs, maxFutureSkewMs: opts.maxFutureSkewMs });
      stats.rejected += rejected.length;
      let result: StoreResult = { accepted: 0, duplicates: 0 };
      if (valid.length > 0) {
        const stored = await store(valid.map((v) => v.event));
        if (!stored) {
          stats.unavailable++;
          // Spread the retries of many clients over a few seconds.
          res.setHeader('retry-after', String(1 + Math.floor(Math.random() * 5)));
          sendError(res, new HttpError(503, 'database_unavailable', 'the event store cannot be reached now: retry the same events with the same ids after Retry-After seconds (any of them that was stored after all comes back as a duplicate)'), revision);
          return;
        }
        result = stored;
      }
      stats.accepted += result.accepted;
      stats.duplicates += result.duplicates;
      sendJson(res, 200, { accepted: result.accepted, duplicates: result.duplicates, rejected }, revision);
    },
  };
  return [ingest];
}
