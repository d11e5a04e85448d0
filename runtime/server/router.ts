import type { KindRoute } from '../../kinds/routes.js';

/** A route table compiled once: each path pattern becomes one anchored regular expression. */
interface CompiledRoute {
  route: KindRoute;
  pattern: RegExp;
  names: string[];
  /** The routes on the same path (this one included), by method: what a 405 lists. */
  sameMethods: Map<string, CompiledRoute>;
  allow: string[];
}

export type RouteMatch = { route: KindRoute; params: Record<string, string> } | { allow: string[]; name: string } | undefined;

const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;

function compile(route: KindRoute): CompiledRoute {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((seg) => {
      if (seg.startsWith(':')) {
        names.push(seg.slice(1));
        return '([^/]+)';
      }
      if (seg.startsWith('*')) {
        names.push(seg.slice(1));
        // The rest of the path, slashes included (names are validated by the handler, not here).
        return '(.*)';
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), names, sameMethods: new Map(), allow: [] };
}

/** The first two segments of a path (`/v1/assign` of `/v1/assign/checkout`): what routes are indexed by. */
function keyOf(path: string): string {
  const second = path.indexOf('/', 1);
  if (second === -1) return path;
  const third = path.indexOf('/', second + 1);
  return third === -1 ? path : path.slice(0, third);
}

/** Whether a route's first two segments are literal, so its key is known before a request comes. */
function literalKey(path: string): string | undefined {
  const key = keyOf(path);
  return /[:*]/.test(key) ? undefined : key;
}

/**
 * Routes in table order; the first path that matches decides, as a path has one meaning. Routes
 * are indexed by their first two segments, so a request tries only the patterns that can match
 * (in table order) instead of every route of every kind.
 */
export class Router {
  private readonly compiled: CompiledRoute[];
  private readonly byKey = new Map<string, CompiledRoute[]>();
  /** Routes with a parameter in their first two segments: tried for every path, in table order. */
  private readonly open: CompiledRoute[];

  constructor(routes: readonly KindRoute[]) {
    this.compiled = routes.map(compile);
    for (const c of this.compiled) {
      const same = this.compiled.filter((o) => o.route.path === c.route.path);
      for (const o of same) if (!c.sameMethods.has(o.route.method)) c.sameMethods.set(o.route.method, o);
      c.allow = same.map((o) => o.route.method);
    }
    this.open = this.compiled.filter((c) => literalKey(c.route.path) === undefined);
    for (const c of this.compiled) {
      const key = literalKey(c.route.path);
      if (key === undefined || this.byKey.has(key)) continue;
      this.byKey.set(key, this.compiled.filter((o) => literalKey(o.route.path) === key || literalKey(o.route.path) === undefined));
    }
  }

  /** The route for a method and path, the methods the path accepts (405), or undefined (404). */
  match(method: string, path: string): RouteMatch {
    const candidates = this.byKey.get(keyOf(path)) ?? this.open;
    let first: CompiledRoute | undefined;
    let values: RegExpExecArray | null = null;
    for (let i = 0; i < candidates.length; i++) {
      values = candidates[i]!.pattern.exec(path);
      if (values) {
        first = candidates[i];
        break;
      }
    }
    if (!first || !values) return undefined;
    const chosen = first.sameMethods.get(method);
    if (!chosen) return { allow: first.allow, name: first.route.name };
    if (chosen.names.length === 0) return { route: chosen.route, params: NO_PARAMS };
    const params: Record<string, string> = {};
    for (let i = 0; i < chosen.names.length; i++) params[chosen.names[i]!] = values[i + 1]!;
    return { route: chosen.route, params };
  }
}
