import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Database } from '../../reconciler/stores/db.js';
import { readWatchers } from '../../reconciler/watch/registry.js';
import { RECONCILE_CHANNEL } from '../../reconciler/watch/watcher.js';
import type { SnapshotSource } from './handlers.js';
import { HttpError, sendError, sendJson } from './http.js';

export interface AdminRoutesOptions {
  db: Database;
  /** LABCTL_ADMIN_TOKEN; without it POST /v1/reconcile is off (404). */
  token?: string;
  source?: SnapshotSource;
  log?: (line: string) => void;
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!.trim());
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** GET /v1/status (watchers and the served snapshot) and POST /v1/reconcile (webhook, bearer token). */
export function adminRoutes(opts: AdminRoutesOptions) {
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> => {
    if (path === '/v1/status') {
      if (req.method !== 'GET') throw new HttpError(405, 'method_not_allowed', '/v1/status accepts GET');
      const watchers = await readWatchers(opts.db).catch(() => null);
      const leader = watchers?.find((w) => w.leader);
      const health = opts.source?.health();
      sendJson(res, 200, {
        state: leader?.state ?? (watchers === null ? 'Unknown' : 'NoWatcher'),
        lastAppliedRevision: leader?.lastAppliedRevision ?? null,
        lastAttemptedRevision: leader?.lastAttemptedRevision ?? null,
        lastError: leader?.lastError ?? null,
        lastErrorAt: leader?.lastErrorAt ?? null,
        served: health ? { revision: health.revision, status: health.status, snapshotAgeSeconds: Math.round(health.ageSeconds * 10) / 10 } : null,
        watchers: watchers ?? [],
      });
      return true;
    }
    if (path === '/v1/reconcile') {
      if (!opts.token) {
        sendError(res, new HttpError(404, 'not_found', 'the reconcile webhook is off; set LABCTL_ADMIN_TOKEN to enable it'));
        return true;
      }
      if (req.method !== 'POST') throw new HttpError(405, 'method_not_allowed', '/v1/reconcile accepts POST');
      req.resume();
      if (!tokenMatches(req.headers.authorization, opts.token)) {
        opts.log?.(`webhook: rejected a request without a valid token from ${req.socket.remoteAddress ?? 'unknown'}`);
        res.setHeader('www-authenticate', 'Bearer');
        sendError(res, new HttpError(401, 'unauthorized', 'missing or wrong bearer token'));
        return true;
      }
      await opts.db.query('SELECT pg_notify($1, $2)', [RECONCILE_CHANNEL, 'webhook']);
      sendJson(res, 202, { status: 'accepted', message: 'the leader watcher will fetch and reconcile now' });
      return true;
    }
    return false;
  };
}
