import type { Database } from '../../core/db.js';
import { decodeSegment, HttpError, sendError, sendJson } from '../../core/http.js';
import { computeResult, UnknownExperimentError } from '../../adapters/results/compute.js';
import { isDatabaseUnavailable } from '../../adapters/db/unavailable.js';
import type { ExperimentResult } from '../../engine/results/types.js';
import type { KindRoute } from '../../kinds/routes.js';

export interface ResultRoutesOptions {
  db: Database;
  /** Where the aggregate query runs, when not on db (a read replica). */
  reader?: Database;
  /** How long a computed result is served before the next request recomputes it (default 60 s). */
  maxAgeMs?: number;
  now?: () => number;
}

interface Cached {
  at: number;
  result: ExperimentResult;
}

/**
 * GET /v1/experiments/{name}/results: the JSON of `labctl report --format json`. A result is
 * recomputed at most once per maxAgeMs and concurrent requests share one computation, so a
 * dashboard polling every second costs one query a minute. `?fresh=1` skips the cache.
 * While the database cannot be reached, the last result computed (if any) is served with
 * `x-labctl-stale: 1` and its `age`; without one the answer is 503 with Retry-After.
 */
export function resultRoutes(opts: ResultRoutesOptions): KindRoute[] {
  const maxAge = opts.maxAgeMs ?? 60_000;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, Cached>();
  const running = new Map<string, Promise<ExperimentResult>>();
  const compute = (name: string): Promise<ExperimentResult> => {
    let p = running.get(name);
    if (!p) {
      p = computeResult(opts.db, name, { now: now(), aggregateOn: opts.reader })
        .then((result) => {
          cache.set(name, { at: now(), result });
          return result;
        })
        .finally(() => running.delete(name));
      running.set(name, p);
    }
    return p;
  };
  return [
    {
      name: 'experiment_results',
      method: 'GET',
      path: '/v1/experiments/:name/results',
      async handle(ctx, { res, params, query }) {
        const name = decodeSegment(params.name!);
        const fresh = new URLSearchParams(query).get('fresh') === '1';
        const hit = cache.get(name);
        const revision = ctx?.source.current.revision;
        let result: ExperimentResult;
        if (!fresh && hit && now() - hit.at < maxAge) result = hit.result;
        else {
          try {
            result = await compute(name);
          } catch (e) {
            if (e instanceof UnknownExperimentError) throw new HttpError(404, 'unknown_experiment', e.message);
            if (!isDatabaseUnavailable(e)) throw e;
            if (hit && !fresh) {
              // A dashboard keeps showing the last numbers through a database restart.
              res.setHeader('x-labctl-stale', '1');
              res.setHeader('age', String(Math.floor((now() - hit.at) / 1000)));
              sendJson(res, 200, hit.result, revision);
              return;
            }
            res.setHeader('retry-after', '5');
            sendError(res, new HttpError(503, 'database_unavailable', 'the results cannot be computed now: the database cannot be reached; retry after Retry-After seconds'), revision);
            return;
          }
        }
        res.setHeader('cache-control', `max-age=${Math.floor(maxAge / 1000)}`);
        sendJson(res, 200, result, revision);
      },
    },
  ];
}
