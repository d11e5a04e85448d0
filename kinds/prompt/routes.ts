import type { IncomingMessage, ServerResponse } from 'node:http';
import { promptRef } from '../experiment/kind.js';
import { assignCompiled, unitValue } from '../../engine/assignment/assign.js';
import { promptCatalog, PromptLookupError, type CompiledPrompt } from './catalog.js';
import { VariableError } from '../../engine/prompts/variables.js';
import { checkAttributeLimits, decodeSegment, HttpError, isObject, readJson, sendJson } from '../../core/http.js';
import type { KindRoute, RouteContext } from '../routes.js';

function lookup<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof PromptLookupError) throw new HttpError(e.code === 'ambiguous_version' ? 400 : 404, e.code, e.message);
    throw e;
  }
}

/** A prompt version as the API shows it. */
function describe(p: CompiledPrompt, revision: string) {
  const s = p.spec;
  return {
    revision,
    name: p.name,
    version: p.version,
    type: s.type,
    ...(s.template !== undefined ? { template: s.template } : { messages: s.messages }),
    variables: s.variables,
    model: p.model,
    ...(s.tags ? { tags: s.tags } : {}),
    ...(s.description ? { description: s.description } : {}),
  };
}

/** GET /v1/prompts/{name} and GET /v1/prompts/{name}/versions/{version}. */
export function getPrompt(ctx: RouteContext, res: ServerResponse, rest: string, decode: (segment: string) => string): void {
  const snap = ctx.source.current;
  const catalog = promptCatalog(snap);
  const parts = rest.split('/').map(decode);
  if (parts.length === 1) return sendJson(res, 200, describe(lookup(() => catalog.get(parts[0]!)), snap.revision), snap.revision);
  if (parts.length === 3 && parts[1] === 'versions') return sendJson(res, 200, describe(lookup(() => catalog.version(parts[0]!, parts[2]!)), snap.revision), snap.revision);
  throw new HttpError(404, 'not_found', `no route GET /v1/prompts/${rest}`);
}

/** POST /v1/prompts/{name}/render {"variables":{…},"attributes"?:{…},"experiment"?:"…","log"?:bool} */
export async function renderPromptRoute(ctx: RouteContext, req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
  const body = await readJson(req);
  if (!isObject(body)) throw new HttpError(400, 'invalid_body', 'request body must be a JSON object with "variables"');
  const variables = body.variables === undefined ? {} : body.variables;
  if (!isObject(variables)) throw new HttpError(400, 'invalid_field', '"variables" must be an object');
  const attributes = body.attributes === undefined ? {} : body.attributes;
  if (!isObject(attributes)) throw new HttpError(400, 'invalid_field', '"attributes" must be an object of request attributes');
  checkAttributeLimits(attributes);
  if (body.experiment !== undefined && typeof body.experiment !== 'string') throw new HttpError(400, 'invalid_field', '"experiment" must be an experiment name');
  if (body.log !== undefined && typeof body.log !== 'boolean') throw new HttpError(400, 'invalid_field', '"log" must be true or false');
  const snap = ctx.source.current;
  const catalog = promptCatalog(snap);
  let prompt = lookup(() => catalog.get(name));
  let assignment: Record<string, unknown> | undefined;
  let expose: (() => void) | undefined;
  if (body.experiment !== undefined) {
    const exp = snap.experiments.get(body.experiment);
    if (!exp) throw new HttpError(404, 'unknown_experiment', `experiment "${body.experiment}" does not exist in revision ${snap.revision}`);
    const a = assignCompiled(exp, attributes, ctx.now());
    if (a.inExperiment && body.log !== false && ctx.exposures) {
      const unit = unitValue(exp, attributes);
      // Recorded only once the variant's prompt rendered: a 404 or 422 exposes the unit to nothing.
      if (unit !== null) expose = () => ctx.exposures!.record({ experiment: exp.name, phase: exp.phase, unit, variant: a.variant!, revision: snap.revision, at: ctx.now() });
    }
    assignment = { experiment: exp.name, variant: a.variant, inExperiment: a.inExperiment, reason: a.reason };
    // The variant's prompt replaces the one in the URL; a variant without a prompt keeps it.
    const ref = promptRef(a.value);
    if (ref) prompt = lookup(() => (ref.version ? catalog.version(ref.name, ref.version) : catalog.get(ref.name)));
  }
  let rendered;
  try {
    rendered = prompt.render(variables);
  } catch (e) {
    if (e instanceof VariableError) {
      sendJson(res, 422, { error: { code: e.reason === 'missing' ? 'missing_variable' : 'invalid_variable', message: e.message, variable: e.variable }, revision: snap.revision }, snap.revision);
      return;
    }
    throw e;
  }
  expose?.();
  sendJson(res, 200, { revision: snap.revision, name: prompt.name, version: prompt.version, ...rendered, model: prompt.model, ...(assignment ? { assignment } : {}) }, snap.revision);
}

/** The prompt's runtime routes: read a version, render one (optionally chosen by an experiment). */
export const promptRoutes: readonly KindRoute[] = [
  { name: 'prompt_render', method: 'POST', path: '/v1/prompts/*name/render', handle: (ctx, r) => renderPromptRoute(ctx, r.req, r.res, decodeSegment(r.params.name!)) },
  { name: 'prompt_get', method: 'GET', path: '/v1/prompts/*rest', handle: (ctx, r) => getPrompt(ctx, r.res, r.params.rest!, decodeSegment) },
];
