import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExposureWriter } from '../exposures/writer.js';
import { getAssign, ofrepBulk, ofrepSingle, postAssign, type HandlerContext, type SnapshotSource } from './handlers.js';
import { HttpError, sendError, sendJson } from './http.js';
import { getPrompt, renderPromptRoute } from './prompts.js';
import { RuntimeMetrics } from './metrics.js';
import type { LiveSnapshot } from '../live/live.js';

export interface RuntimeServerOptions {
  source: SnapshotSource;
  exposures?: ExposureWriter;
  now?: () => number;
  /** Extra routes (later issues: prompts, flows, status); return true when handled. */
  extraRoutes?: (req: IncomingMessage, res: ServerResponse, path: string, query: string) => boolean | Promise<boolean>;
  log?: (line: string) => void;
}

/** A percent-encoded path segment; a malformed escape is bad input (400), not a server error. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'invalid_path', `the path segment "${segment}" is not valid percent-encoding`);
  }
}

/** The runtime HTTP server (DESIGN §6) with graceful shutdown. */
export class RuntimeServer {
  readonly server: Server;
  readonly metrics: RuntimeMetrics;
  private readonly ctx: HandlerContext;
  private inFlight = 0;
  private drained: (() => void) | undefined;

  constructor(private readonly opts: RuntimeServerOptions) {
    this.ctx = { source: opts.source, exposures: opts.exposures, now: opts.now ?? Date.now };
    this.metrics = new RuntimeMetrics(
      () => (opts.source as Partial<LiveSnapshot>).health ? (opts.source as LiveSnapshot) : undefined,
      () => opts.exposures,
    );
    this.server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => this.handle(req, res));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const started = process.hrtime.bigint();
    this.inFlight++;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? '' : url.slice(q + 1);
    let route = 'other';
    res.on('finish', () => {
      this.metrics.observe(route, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    });
    res.on('close', () => {
      this.inFlight--;
      if (this.inFlight === 0) this.drained?.();
    });
    const fail = (e: unknown) => {
      const err = e instanceof HttpError ? e : new HttpError(500, 'internal', 'internal error');
      if (!(e instanceof HttpError)) this.opts.log?.(`error: ${req.method} ${path}: ${(e as Error).stack ?? String(e)}`);
      if (!res.headersSent) sendError(res, err, this.ctx.source.current.revision);
      else res.destroy();
    };
    try {
      const method = req.method ?? 'GET';
      const expect = (m: string) => {
        if (method === m) return;
        res.setHeader('allow', m);
        throw new HttpError(405, 'method_not_allowed', `${path} accepts ${m}`);
      };
      if (path.startsWith('/v1/assign/')) {
        route = 'assign_get';
        expect('GET');
        getAssign(this.ctx, res, decodeSegment(path.slice('/v1/assign/'.length)), query);
      } else if (path === '/v1/assign') {
        route = 'assign_post';
        expect('POST');
        postAssign(this.ctx, req, res).catch(fail);
      } else if (path.startsWith('/ofrep/v1/evaluate/flags/')) {
        route = 'ofrep_flag';
        expect('POST');
        ofrepSingle(this.ctx, req, res, decodeSegment(path.slice('/ofrep/v1/evaluate/flags/'.length))).catch(fail);
      } else if (path === '/ofrep/v1/evaluate/flags') {
        route = 'ofrep_bulk';
        expect('POST');
        ofrepBulk(this.ctx, req, res).catch(fail);
      } else if (path.startsWith('/v1/prompts/')) {
        const rest = path.slice('/v1/prompts/'.length);
        if (rest.endsWith('/render')) {
          route = 'prompt_render';
          expect('POST');
          renderPromptRoute(this.ctx, req, res, decodeSegment(rest.slice(0, -'/render'.length))).catch(fail);
        } else {
          route = 'prompt_get';
          expect('GET');
          getPrompt(this.ctx, res, rest, decodeSegment);
        }
      } else if (path === '/healthz') {
        route = 'healthz';
        sendJson(res, 200, { status: 'ok' });
      } else if (path === '/readyz') {
        route = 'readyz';
        const h = this.ctx.source.health();
        sendJson(res, 200, { status: h.status, revision: h.revision, snapshotAgeSeconds: Math.round(h.ageSeconds * 10) / 10, lastError: h.lastError }, h.revision);
      } else if (path === '/metrics') {
        route = 'metrics';
        this.metrics.registry.metrics().then((text) => {
          res.writeHead(200, { 'content-type': this.metrics.registry.contentType });
          res.end(text);
        }, fail);
      } else {
        const extra = this.opts.extraRoutes?.(req, res, path, query);
        const notFound = () => {
          route = 'not_found';
          sendError(res, new HttpError(404, 'not_found', `no route ${req.method} ${path}`), this.ctx.source.current.revision);
        };
        if (extra instanceof Promise) extra.then((handled) => handled || notFound(), fail);
        else if (!extra) notFound();
      }
    } catch (e) {
      fail(e);
    }
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
