import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Database } from '../../core/db.js';
import { readWatchers } from '../../adapters/state/watchers.js';
import { RECONCILE_CHANNEL } from '../../core/channels.js';
import { HttpError, sendError, sendJson } from '../../core/http.js';
import type { KindRoute, SnapshotSource } from '../../kinds/routes.js';

export interface AdminRoutesOptions {
  db: Database;
  /** LABCTL_ADMIN_TOKEN; without it POST /v1/reconcile is off (404). */
  token?: string;
  source?: SnapshotSource;
  log?: (line: string) => void;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Read the request body (webhook payloads are small; GitHub's signature covers the raw bytes). */
function readRaw(req: IncomingMessage, limit = 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
    });
    req.on('end', () => (size > limit ? reject(new HttpError(413, 'body_too_large', 'webhook body exceeds 1 MiB')) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

/**
 * Whether a webhook request proves it knows the token: `Authorization: Bearer TOKEN`, GitLab's
 * `X-Gitlab-Token: TOKEN`, or GitHub's `X-Hub-Signature-256: sha256=HMAC(body, TOKEN)`.
 */
export function webhookAuthorized(headers: IncomingMessage['headers'], body: Buffer, token: string): boolean {
  const bearer = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '');
  if (bearer && safeEqual(bearer[1]!.trim(), token)) return true;
  const gitlab = headers['x-gitlab-token'];
  if (typeof gitlab === 'string' && safeEqual(gitlab, token)) return true;
  const signature = headers['x-hub-signature-256'];
  if (typeof signature === 'string') return safeEqual(signature, `sha256=${createHmac('sha256', token).update(body).digest('hex')}`);
  return false;
}

/** GET /v1/status (watchers and the served snapshot) and POST /v1/reconcile (webhook, bearer token). */
export function adminRoutes(opts: AdminRoutesOptions): KindRoute[] {
  const status: KindRoute = {
    name: 'status',
    method: 'GET',
    path: '/v1/status',
    async handle(_ctx, { res }) {
      const watchers = await readWatchers(opts.db).catch(() => null);
      const leader = watchers?.find((w) => w.leader);
      const health = opts.source?.health();
      sendJson(res, 200, {
        state: leader?.state ?? (watchers === null ? 'Unknown' : watchers.length > 0 ? 'Standby' : 'NoWatcher'),
        lastAppliedRevision: leader?.lastAppliedRevision ?? null,
        lastAttemptedRevision: leader?.lastAttemptedRevision ?? null,
        lastError: leader?.lastError ?? null,
        lastErrorAt: leader?.lastErrorAt ?? null,
        served: health ? { revision: health.revision, status: health.status, snapshotAgeSeconds: Math.round(health.ageSeconds * 10) / 10 } : null,
        watchers: watchers ?? [],
      });
    },
  };
  if (!opts.token) {
    const off = (): KindRoute['handle'] => (_ctx, { res }) => sendError(res, new HttpError(404, 'not_found', 'the reconcile webhook is off; set LABCTL_ADMIN_TOKEN to enable it'));
    return [status, { name: 'reconcile', method: 'POST', path: '/v1/reconcile', handle: off() }, { name: 'reconcile', method: 'GET', path: '/v1/reconcile', handle: off() }];
  }
  const token = opts.token;
  const reconcile: KindRoute = {
    name: 'reconcile',
    method: 'POST',
    path: '/v1/reconcile',
    async handle(_ctx, { req, res }) {
      const body = await readRaw(req);
      if (!webhookAuthorized(req.headers, body, token)) {
        opts.log?.(`webhook: rejected a request without a valid token from ${req.socket.remoteAddress ?? 'unknown'}`);
        res.setHeader('www-authenticate', 'Bearer');
        sendError(res, new HttpError(401, 'unauthorized', 'missing or wrong credentials (Authorization: Bearer, X-Gitlab-Token or X-Hub-Signature-256)'));
        return;
      }
      const watchers = await readWatchers(opts.db);
      if (watchers.length === 0) {
        sendError(res, new HttpError(503, 'no_watcher', 'no labctl watch (or labctl up) is running on this database, so nothing would reconcile'));
        return;
      }
      await opts.db.query('SELECT pg_notify($1, $2)', [RECONCILE_CHANNEL, 'webhook']);
      sendJson(res, 202, { status: 'accepted', message: 'the leader watcher will fetch and reconcile now' });
    },
  };
  return [status, reconcile];
}
