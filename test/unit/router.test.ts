// The runtime's router: indexed by the first two path segments for speed, it must still answer as
// a plain first-match scan of the table would: table order, 405 with the methods of the path, 404.
import { describe, expect, it } from 'vitest';
import type { KindRoute } from '../../kinds/routes.js';
import { Router } from '../../runtime/server/router.js';

const route = (name: string, method: 'GET' | 'POST', path: string): KindRoute => ({ name, method, path, handle: () => undefined });

const TABLE: KindRoute[] = [
  route('prompt_render', 'POST', '/v1/prompts/*name/render'),
  route('prompt_get', 'GET', '/v1/prompts/*rest'),
  route('assign_get', 'GET', '/v1/assign/*experiment'),
  route('assign_post', 'POST', '/v1/assign'),
  route('session_get', 'GET', '/v1/sessions/:id'),
  route('session_message', 'POST', '/v1/sessions/:id/messages'),
  route('tenant', 'GET', '/:tenant/status'),
  route('healthz', 'GET', '/healthz'),
  route('flows', 'POST', '/v1/flows/*name/sessions'),
];

/** The same table answered by trying every route in order (what the index must agree with). */
function scan(method: string, path: string) {
  const compiled = TABLE.map((r) => {
    const names: string[] = [];
    const src = r.path
      .split('/')
      .map((s) => (s.startsWith(':') ? (names.push(s.slice(1)), '([^/]+)') : s.startsWith('*') ? (names.push(s.slice(1)), '(.*)') : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    return { r, re: new RegExp(`^${src}$`), names };
  });
  const first = compiled.find((c) => c.re.test(path));
  if (!first) return undefined;
  const same = compiled.filter((c) => c.r.path === first.r.path);
  const chosen = same.find((c) => c.r.method === method);
  if (!chosen) return { allow: same.map((c) => c.r.method), name: first.r.name };
  const m = chosen.re.exec(path)!;
  return { route: chosen.r.name, params: Object.fromEntries(chosen.names.map((n, i) => [n, m[i + 1]])) };
}

describe('Router', () => {
  const router = new Router(TABLE);
  const answer = (method: string, path: string) => {
    const m = router.match(method, path);
    if (!m) return undefined;
    return 'allow' in m ? m : { route: m.route.name, params: { ...m.params } };
  };

  it.each([
    ['GET', '/v1/assign/checkout'],
    ['GET', '/v1/assign/a/b'],
    ['GET', '/v1/assign/'],
    ['POST', '/v1/assign'],
    ['GET', '/v1/assign'],
    ['DELETE', '/v1/assign/x'],
    ['POST', '/v1/prompts/support/render'],
    ['GET', '/v1/prompts/support/render'],
    ['GET', '/v1/prompts/support/versions/abc123'],
    ['GET', '/v1/sessions/s-1'],
    ['POST', '/v1/sessions/s-1/messages'],
    ['GET', '/v1/sessions/s-1/messages'],
    ['GET', '/acme/status'],
    ['GET', '/v1/status'],
    ['GET', '/healthz'],
    ['GET', '/healthz/'],
    ['POST', '/v1/flows/refund/sessions'],
    ['POST', '/v1/flows/a/b/sessions'],
    ['GET', '/nothing/here'],
    ['GET', '/'],
  ])('%s %s answers as a scan of the table does', (method, path) => {
    expect(answer(method, path)).toEqual(scan(method, path));
  });
});
