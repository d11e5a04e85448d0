import type { KindRoute } from '../../kinds/routes.js';

/** A route table compiled once: each path pattern becomes one anchored regular expression. */
interface CompiledRoute {
  route: KindRoute;
  pattern: RegExp;
  names: string[];
}

export type RouteMatch = { route: KindRoute; params: Record<string, string> } | { allow: string[]; name: string } | undefined;

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
  return { route, pattern: new RegExp(`^${source}$`), names };
}

/** Routes in table order; the first path that matches decides, as a path has one meaning. */
export class Router {
  private readonly compiled: CompiledRoute[];

  constructor(routes: readonly KindRoute[]) {
    this.compiled = routes.map(compile);
  }

  /** The route for a method and path, the methods the path accepts (405), or undefined (404). */
  match(method: string, path: string): RouteMatch {
    let first: CompiledRoute | undefined;
    let values: RegExpExecArray | null = null;
    for (const c of this.compiled) {
      values = c.pattern.exec(path);
      if (values) {
        first = c;
        break;
      }
    }
    if (!first || !values) return undefined;
    const same = this.compiled.filter((c) => c.route.path === first.route.path);
    const chosen = same.find((c) => c.route.method === method);
    if (!chosen) return { allow: same.map((c) => c.route.method), name: first.route.name };
    const params: Record<string, string> = {};
    chosen.names.forEach((n, i) => (params[n] = values![i + 1]!));
    return { route: chosen.route, params };
  }
}
