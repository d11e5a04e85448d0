import type { IncomingMessage, ServerResponse } from 'node:http';
import { assignCompiled, unitValue, type Assignment } from '../../engine/assignment/assign.js';
import type { Attributes } from '../../core/conditions/conditions.js';
import type { CompiledExperiment } from '../../engine/assignment/snapshot.js';
import { contextAttributes, flagMetadata, openFeatureReason } from './openfeature-reasons.js';
import { fnv1a32 } from '../../engine/assignment/hash.js';
import { canonicalJson } from '../../core/hash.js';
import type { JsonObject } from '../../core/types.js';
import { attributeLimitError, checkAttributeLimits, decodeSegment, HttpError, isObject, queryAttributes, readJson, sendError, sendJson, sendRendered } from '../../core/http.js';
import { assignAnswer } from './answers.js';
import type { KindRoute, RouteContext } from '../routes.js';

const RESERVED = new Set(['log']);

function expose(ctx: RouteContext, exp: CompiledExperiment, a: Assignment, attributes: Attributes, revision: string, log: boolean): void {
  if (!log || !a.inExperiment || !ctx.exposures) return;
  const unit = unitValue(exp, attributes);
  if (unit !== null) ctx.exposures.record({ experiment: exp.name, phase: exp.phase, unit, variant: a.variant!, revision, at: ctx.now() });
}

/** GET /v1/assign/{experiment}?attr=value… */
export function getAssign(ctx: RouteContext, res: ServerResponse, name: string, query: string): void {
  const snap = ctx.source.current;
  const exp = snap.experiments.get(name);
  if (!exp) {
    sendError(res, new HttpError(404, 'unknown_experiment', `experiment "${name}" does not exist in revision ${snap.revision}`), snap.revision);
    return;
  }
  const { attributes, params } = queryAttributes(query, RESERVED);
  const a = assignCompiled(exp, attributes, ctx.now());
  expose(ctx, exp, a, attributes, snap.revision, params.log !== 'false' && params.log !== '0');
  sendRendered(res, 200, assignAnswer(snap.revision, exp, a), snap.revision);
}

/** POST /v1/assign {"attributes":{…},"experiments":[…]?,"log":bool?} */
export async function postAssign(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJson(req);
  if (!isObject(body)) throw new HttpError(400, 'invalid_body', 'request body must be a JSON object with "attributes"');
  const attributes = body.attributes === undefined ? {} : body.attributes;
  if (!isObject(attributes)) throw new HttpError(400, 'invalid_field', '"attributes" must be an object of request attributes');
  checkAttributeLimits(attributes);
  if (body.experiments !== undefined && (!Array.isArray(body.experiments) || body.experiments.some((e) => typeof e !== 'string'))) {
    throw new HttpError(400, 'invalid_field', '"experiments" must be a list of experiment names');
  }
  if (body.log !== undefined && typeof body.log !== 'boolean') throw new HttpError(400, 'invalid_field', '"log" must be true or false');
  const snap = ctx.source.current;
  const now = ctx.now();
  const log = body.log !== false;
  const assignments: Record<string, Omit<Assignment, 'experiment'>> = {};
  const names = (body.experiments as string[] | undefined) ?? snap.running.map((e) => e.name);
  for (const name of names) {
    const exp = snap.experiments.get(name);
    if (!exp) {
      assignments[name] = { variant: null, value: null, inExperiment: false, reason: 'unknown_experiment' };
      continue;
    }
    const a = assignCompiled(exp, attributes, now);
    expose(ctx, exp, a, attributes, snap.revision, log);
    assignments[name] = a.model
      ? { variant: a.variant, value: a.value, inExperiment: a.inExperiment, reason: a.reason, model: a.model }
      : { variant: a.variant, value: a.value, inExperiment: a.inExperiment, reason: a.reason };
  }
  sendJson(res, 200, { revision: snap.revision, assignments }, snap.revision);
}

function ofrepContext(body: unknown, key: string | undefined): Record<string, unknown> {
  if (body === undefined) return {};
  if (!isObject(body)) throw Object.assign(new HttpError(400, 'INVALID_CONTEXT', 'request body must be a JSON object'), { key });
  const context = body.context ?? {};
  if (!isObject(context)) throw Object.assign(new HttpError(400, 'INVALID_CONTEXT', '"context" must be an object'), { key });
  const tooLarge = attributeLimitError(context, 'context', 'INVALID_CONTEXT');
  if (tooLarge) throw Object.assign(tooLarge, { key });
  return context;
}

function ofrepResult(exp: CompiledExperiment, a: Assignment, revision: string) {
  return {
    key: exp.name,
    value: a.value,
    reason: openFeatureReason(a.reason),
    variant: a.variant,
    metadata: flagMetadata(exp.name, a, revision),
  };
}

async function readOptionalJson(req: IncomingMessage): Promise<unknown> {
  try {
    return await readJson(req);
  } catch (e) {
    if (e instanceof HttpError && e.code === 'missing_body') return undefined;
    throw e;
  }
}

/** POST /ofrep/v1/evaluate/flags/{key}: one experiment as an OpenFeature flag. */
export async function ofrepSingle(ctx: RouteContext, req: IncomingMessage, res: ServerResponse, key: string): Promise<void> {
  let context: Record<string, unknown>;
  try {
    context = ofrepContext(await readOptionalJson(req), key);
  } catch (e) {
    const err = e as HttpError;
    sendJson(res, err.status === 413 ? 413 : 400, { key, errorCode: err.status === 413 ? 'GENERAL' : err.code === 'invalid_json' ? 'PARSE_ERROR' : 'INVALID_CONTEXT', errorDetails: err.message });
    return;
  }
  const snap = ctx.source.current;
  const exp = snap.experiments.get(key);
  if (!exp) {
    sendJson(res, 404, { key, errorCode: 'FLAG_NOT_FOUND', errorDetails: `experiment "${key}" does not exist in revision ${snap.revision}` }, snap.revision);
    return;
  }
  const attributes = contextAttributes(context, exp.unit);
  const a = assignCompiled(exp, attributes, ctx.now());
  expose(ctx, exp, a, attributes, snap.revision, context.log !== false);
  sendJson(res, 200, ofrepResult(exp, a, snap.revision), snap.revision);
}

/** POST /ofrep/v1/evaluate/flags: every experiment; ETag by revision and context, 304 when unchanged. */
export async function ofrepBulk(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let context: Record<string, unknown>;
  try {
    context = ofrepContext(await readOptionalJson(req), undefined);
  } catch (e) {
    const err = e as HttpError;
    const status = err.status === 413 ? 413 : 400;
    sendJson(res, status, { errorCode: status === 413 ? 'GENERAL' : err.code === 'invalid_json' ? 'PARSE_ERROR' : 'INVALID_CONTEXT', errorDetails: err.message });
    return;
  }
  const snap = ctx.source.current;
  const etag = `"${snap.revision}-${fnv1a32(canonicalJson(context as JsonObject)).toString(16)}"`;
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, { etag, 'x-labctl-revision': snap.revision });
    res.end();
    return;
  }
  const now = ctx.now();
  const flags = [...snap.experiments.values()].map((exp) => ofrepResult(exp, assignCompiled(exp, contextAttributes(context, exp.unit), now), snap.revision));
  res.setHeader('etag', etag);
  sendJson(res, 200, { flags, metadata: { revision: snap.revision } }, snap.revision);
}

/** The experiment's runtime routes: assignment over HTTP and OpenFeature's OFREP. */
export const experimentRoutes: readonly KindRoute[] = [
  { name: 'assign_get', method: 'GET', path: '/v1/assign/*experiment', handle: (ctx, r) => getAssign(ctx, r.res, decodeSegment(r.params.experiment!), r.query) },
  { name: 'assign_post', method: 'POST', path: '/v1/assign', handle: (ctx, r) => postAssign(ctx, r.req, r.res) },
  { name: 'ofrep_flag', method: 'POST', path: '/ofrep/v1/evaluate/flags/*key', handle: (ctx, r) => ofrepSingle(ctx, r.req, r.res, decodeSegment(r.params.key!)) },
  { name: 'ofrep_bulk', method: 'POST', path: '/ofrep/v1/evaluate/flags', handle: (ctx, r) => ofrepBulk(ctx, r.req, r.res) },
];
