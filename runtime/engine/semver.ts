/** A parsed version: numeric core and optional prerelease identifiers. */
interface Version {
  core: number[];
  pre: string[];
}

function parse(v: string): Version | undefined {
  const m = /^v?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(v.trim());
  if (!m) return undefined;
  return { core: m[1]!.split('.').map(Number), pre: m[2] ? m[2].split('.') : [] };
}

function comparePre(a: string[], b: string[]): number {
  // A release ranks above any of its prereleases.
  if (a.length === 0 || b.length === 0) return a.length === b.length ? 0 : a.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i >= a.length) return -1;
    if (i >= b.length) return 1;
    const x = a[i]!;
    const y = b[i]!;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return Math.sign(d);
    } else if (nx !== ny) return nx ? -1 : 1;
    else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Semantic-version comparison (-1, 0, 1); undefined when either side is not a version. Missing parts count as 0. */
export function compareVersions(a: unknown, b: unknown): number | undefined {
  if (typeof a !== 'string' || typeof b !== 'string') return undefined;
  const va = parse(a);
  const vb = parse(b);
  if (!va || !vb) return undefined;
  for (let i = 0; i < Math.max(va.core.length, vb.core.length); i++) {
    const d = (va.core[i] ?? 0) - (vb.core[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return comparePre(va.pre, vb.pre);
}
