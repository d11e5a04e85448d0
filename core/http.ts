import type { IncomingMessage, ServerResponse } from 'node:http';
import { attributeLimitProblem } from './attribute-limits.js';
import { forEachQueryParam } from './query-string.js';

/** Largest request body accepted (413 beyond). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** A client error answered as `{"error":{"code","message"}}`. */
export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** A percent-encoded path segment; a malformed escape is bad input (400), not a server error. */
export function decodeSegment(segment: string): string {
  if (segment.indexOf('%') === -1) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'invalid_path', `the path segment "${segment}" is not valid percent-encoding`);
  }
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** Send a JSON body with the revision header. */
export function sendJson(res: ServerResponse, status: number, body: unknown, revision?: string): void {
  const text = JSON.stringify(body);
  // Headers as a flat list: node:http then skips walking an object's keys on every answer.
  res.writeHead(status, revision ? ['content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(text)), 'x-labctl-revision', revision] : ['content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(text))]);
  res.end(text);
}

/** Send JSON rendered earlier (kinds/experiment/answers.ts), with the revision header. */
export function sendRendered(res: ServerResponse, status: number, body: Buffer, revision: string): void {
  res.writeHead(status, ['content-type', JSON_TYPE, 'content-length', String(body.length), 'x-labctl-revision', revision]);
  res.end(body);
}

/** Send the error shape of docs/runtime.md#status-codes-and-error-codes: {"error":{"code","message"}}. */
export function sendError(res: ServerResponse, e: HttpError, revision?: string): void {
  sendJson(res, e.status, { error: { code: e.code, message: e.message }, ...(revision ? { revision } : {}) }, revision);
}

/** Read and parse a JSON body of at most MAX_BODY_BYTES (any content type); errors are HttpErrors (400, 413). */
export function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? -1);
    if (declared > MAX_BODY_BYTES) {
      req.resume();
      reject(new HttpError(413, 'body_too_large', `request body is ${declared} bytes; the limit is ${MAX_BODY_BYTES}`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        reject(new HttpError(413, 'body_too_large', `request body exceeds ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('error', (e) => {
      if (!failed) reject(new HttpError(400, 'bad_request', e.message));
    });
    req.on('end', () => {
      if (failed) return;
      if (size === 0) {
        reject(new HttpError(400, 'missing_body', 'request body is empty; send a JSON object'));
        return;
      }
      try {
        resolve(JSON.parse(Buffer.concat(chunks, size).toString('utf8')));
      } catch (e) {
        reject(new HttpError(400, 'invalid_json', `request body is not valid JSON: ${(e as Error).message}`));
      }
    });
  });
}

/** A 400 when attributes exceed the documented limits (core/attribute-limits.ts), else undefined. */
export function attributeLimitError(attributes: Record<string, unknown>, field = 'attributes', code = 'attributes_too_large'): HttpError | undefined {
  const why = attributeLimitProblem(attributes, field);
  return why ? new HttpError(400, code, `${why} (see "Limits at the edge" in docs/runtime.md)`) : undefined;
}

/** Throw attributeLimitError's 400, if any. */
export function checkAttributeLimits(attributes: Record<string, unknown>, field = 'attributes'): void {
  const e = attributeLimitError(attributes, field);
  if (e) throw e;
}

/** Query string to attributes: every parameter a string (repeated ones a list), except the reserved ones. */
export function queryAttributes(query: string, reserved: ReadonlySet<string>): { attributes: Record<string, unknown>; params: Record<string, string> } {
  const attributes: Record<string, unknown> = {};
  const params: Record<string, string> = {};
  if (!query) return { attributes, params };
  forEachQueryParam(query, (k, v) => {
    if (reserved.has(k)) {
      params[k] = v;
      return;
    }
    if (k === '__proto__') {
      // An attribute like any other, as JSON.parse makes it, never the object's prototype. (A
      // prototype-less object would do it too, but is a dictionary: slower on every request.)
      const own = Object.prototype.hasOwnProperty.call(attributes, k) ? attributes[k] : undefined;
      Object.defineProperty(attributes, k, { value: own === undefined ? v : Array.isArray(own) ? [...own, v] : [own, v], enumerable: true, writable: true, configurable: true });
      return;
    }
    const prev = attributes[k];
    attributes[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  });
  checkAttributeLimits(attributes, 'query');
  return { attributes, params };
}

/** Whether a value is a plain JSON object. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
