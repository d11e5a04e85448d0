import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError, sendError, sendJson } from '../../core/http.js';
import { KINDS } from '../../kinds/index.js';
import type { KindRoute, RouteContext, SnapshotSource } from '../../kinds/routes.js';
import type { KindDef } from '../../kinds/types.js';
import type { ExposureWriter } from '../exposures/writer.js';
import type { LiveSnapshot } from '../live/live.js';
import { RuntimeMetrics } from './metrics.js';
import { Router } from './router.js';

export interface RuntimeServerOptions {
  source: SnapshotSource;
  exposures?: ExposureWriter;
  now?: () => number;
  /** The kinds whose routes to serve (default: every kind labctl knows). */
  kinds?: readonly KindDef[];
  /** More routes after the kinds' own (the admin routes of `labctl serve`). */
  routes?: readonly KindRoute[];
  log?: (line: string) => void;
  /** Slow-client limits (docs/runtime.md, "Limits at the edge"); the defaults suit production. */
  timeouts?: Partial<ServerTimeouts>;
}

export interface ServerTimeouts {
  /** Until the request's headers are complete (a slowloris client sends them a byte at a time). Default 10 s. */
  headersMs: number;
  /** Until the whole request, body included, has arrived; then 408. Default 30 s. */
  requestMs: number;
  /** How long an idle keep-alive connection stays open; above load balancers' 60 s. Default 65 s. */
  keepAliveMs: number;
}

const DEFAULT_TIMEOUTS: ServerTimeouts = { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 65_000 };

/** The routes every runtime has besides the kinds': liveness, readiness and Prometheus metrics. */
function systemRoutes(metrics: RuntimeMetrics): KindRoute[] {
  return [
    { name: 'healthz', method: 'GET', path: '/healthz', handle: (_ctx, { res }) => sendJson(res, 200, { status: 'ok' }) },
    {
      name: 'readyz',
      method: 'GET',
      path: '/readyz',
      handle: (ctx, { res }) => {
        const h = ctx.source.health();
        sendJson(res, 200, { status: h.status, revision: h.revision, snapshotAgeSeconds: Math.round(h.ageSeconds * 10) / 10, lastError: h.lastError }, h.revision);
      },
    },
    {
      name: 'metrics',
      method: 'GET',
      path: '/metrics',
      handle: async (_ctx, { res }) => {
        const text = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(text);
      },
    },
  ];
}

/**
 * Answer one request from a router: the matched route, a 405 naming the methods the path accepts,
 * or a 404. Errors become the JSON error shape (a stack trace only goes to the log). Returns the
 * route name for the metrics.
 */
export function dispatch(router: Router, ctx: RouteContext | undefined, req: IncomingMessage, res: ServerResponse, log?: (line: string) => void): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q + 1);
  const fail = (e: unknown) => {
    const err = e instanceof HttpError ? e : new HttpError(500, 'internal', 'internal error');
    if (!(e instanceof HttpError)) log?.(`error: ${req.method} ${path}: ${(e as Error).stack ?? String(e)}`);
    if (!res.headersSent) sendError(res, err, ctx?.source.current.revision);
    else res.destroy();
  };
  const found = router.match(req.method ?? 'GET', path);
  if (!found) {
    sendError(res, new HttpError(404, 'not_found', `no route ${req.method} ${path}`), ctx?.source.current.revision);
    return 'not_found';
  }
  if ('allow' in found) {
    res.setHeader('allow', found.allow.join(', '));
    fail(new HttpError(405, 'method_not_allowed', `${path} accepts ${found.allow.join(', ')}`));
    return found.name;
  }
  try {
    // Routes without a snapshot (the watcher's status server) never read ctx.
    const done = found.route.handle(ctx as RouteContext, { req, res, params: found.params, query });
    if (done instanceof Promise) done.catch(fail);
  } catch (e) {
    fail(e);
  }
  return found.route.name;
}

/** The runtime HTTP server (routes from every kind, see docs/runtime.md) with graceful shutdown. */
export class RuntimeServer {
  readonly server: Server;
  readonly metrics: RuntimeMetrics;
  private readonly ctx: RouteContext;
  private readonly router: Router;
  private inFlight = 0;
  private drained: (() => void) | undefined;

  constructor(private readonly opts: RuntimeServerOptions) {
    this.ctx = { source: opts.source, exposures: opts.exposures, now: opts.now ?? Date.now };
    this.metrics = new RuntimeMetrics(
      () => ((opts.source as Partial<LiveSnapshot>).health ? (opts.source as LiveSnapshot) : undefined),
      () => opts.exposures,
    );
    this.router = new Router([...(opts.kinds ?? KINDS).flatMap((k) => k.routes ?? []), ...systemRoutes(this.metrics), ...(opts.routes ?? [])]);
    const t = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.server = createServer(
      {
        keepAliveTimeout: t.keepAliveMs,
        headersTimeout: t.headersMs,
        requestTimeout: t.requestMs,
        // Node checks the two timeouts above only this often (30 s by default).
        connectionsCheckingInterval: Math.min(1000, t.headersMs),
      },
      (req, res) => this.handle(req, res),
    );
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    this.inFlight++;
    let route = 'other';
    // One listener per request: 'close' follows 'finish', and only finished responses are counted.
    res.once('close', () => {
      if (res.writableFinished) this.metrics.observe(route, res.statusCode, (performance.now() - started) / 1000);
      this.inFlight--;
      if (this.inFlight === 0) this.drained?.();
    });
    route = dispatch(this.router, this.ctx, req, res, this.opts.log);
  }

  /** Start listening; resolves with the bound port. */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** Stop accepting, let in-flight requests finish (up to timeoutMs), close idle keep-alive sockets. */
  async shutdown(timeoutMs = 10_000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    if (this.inFlight > 0) {
      await Promise.race([new Promise<void>((r) => (this.drained = r)), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    }
    this.server.closeAllConnections();
    await closed;
  }
}
