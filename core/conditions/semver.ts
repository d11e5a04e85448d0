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

/**
 * compareVersions(x, target) with the target parsed once (targeting compiles its $v… operands when a
 * snapshot loads). Plain dotted numbers ("2.10.1") are compared without building a parsed copy;
 * anything else (a "v" prefix, a prerelease or build part, spaces) takes the full parse.
 */
export function versionComparer(target: unknown): (x: unknown) => number | undefined {
  const t = typeof target === 'string' ? parse(target) : undefined;
  if (!t) return () => undefined;
  const core = t.core;
  const releaseVsTarget = comparePre([], t.pre);
  const full = (x: string): number | undefined => {
    const v = parse(x);
    if (!v) return undefined;
    for (let i = 0; i < Math.max(v.core.length, core.length); i++) {
      const d = (v.core[i] ?? 0) - (core[i] ?? 0);
      if (d !== 0) return Math.sign(d);
    }
    return comparePre(v.pre, t.pre);
  };
  return (x) => {
    if (typeof x !== 'string') return undefined;
    const n = x.length;
    let i = 0;
    let part = 0;
    let result = 0;
    for (;;) {
      const start = i;
      let value = 0;
      while (i < n) {
        const c = x.charCodeAt(i);
        if (c < 48 || c > 57) break;
        value = value * 10 + (c - 48);
        i++;
      }
      // Not a plain dotted number (or a part long enough for rounding to matter): the full parse decides.
      if (i === start || i - start > 15) return full(x);
      if (result === 0) {
        const d = value - (core[part] ?? 0);
        if (d !== 0) result = d > 0 ? 1 : -1;
      }
      part++;
      if (i === n) break;
      if (x.charCodeAt(i) !== 46 || i + 1 === n) return full(x);
      i++;
    }
    for (let k = part; result === 0 && k < core.length; k++) if (core[k] !== 0) result = core[k]! > 0 ? -1 : 1;
    return result !== 0 ? result : releaseVsTarget;
  };
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
