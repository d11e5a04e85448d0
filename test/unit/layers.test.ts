import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { KINDS } from '../../kinds/index.js';
import { SOURCE_DIRS } from '../helpers/source-dirs.js';

// The layering of docs/architecture.md#layers, checked on the import graph of the sources.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Which top-level folders each layer may import from (besides its own). */
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  engine: ['core'],
  kinds: ['core', 'engine'],
  adapters: ['core', 'engine', 'kinds'],
  reconciler: ['core', 'engine', 'kinds', 'adapters'],
  runtime: ['core', 'engine', 'kinds', 'adapters'],
  cli: ['core', 'engine', 'kinds', 'adapters', 'reconciler', 'runtime'],
};

/** Packages that do I/O: the pure layers may not import them (type-only imports are fine). */
const IO_PACKAGES = ['node:fs', 'node:fs/promises', 'node:net', 'node:http', 'node:https', 'node:child_process', 'node:os', 'node:process', 'pg', '@electric-sql/pglite', 'simple-git', 'chokidar', 'prom-client', 'p-limit'];
const PURE_LAYERS = ['core', 'engine', 'kinds'];

interface SourceFile {
  path: string;
  text: string;
  /** Relative imports resolved to source paths, and package imports as written. */
  local: Array<{ to: string; typeOnly: boolean }>;
  packages: Array<{ name: string; typeOnly: boolean }>;
}

function* walk(dir: string): Generator<string> {
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && !e.name.endsWith('.test.ts')) yield p;
  }
}

function parse(path: string): SourceFile {
  const text = readFileSync(join(ROOT, path), 'utf8');
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, false);
  const local: SourceFile['local'] = [];
  const packages: SourceFile['packages'] = [];
  const add = (spec: string, typeOnly: boolean) => {
    if (spec.startsWith('.')) local.push({ to: normalize(join(dirname(path), spec)).replace(/\.js$/, '.ts'), typeOnly });
    else packages.push({ name: spec, typeOnly });
  };
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier)) {
      const clause = st.importClause;
      const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!clause.namedBindings && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(st.moduleSpecifier.text, typeOnly);
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) {
      add(st.moduleSpecifier.text, st.isTypeOnly);
    }
  }
  return { path, text, local, packages };
}

const files = [...SOURCE_DIRS.flatMap((d) => [...walk(d)]), 'index.ts'].map(parse);
const byPath = new Map(files.map((f) => [f.path, f]));
const layerOf = (path: string) => path.split('/')[0]!;

/** Every import cycle, as the list of files around it (Tarjan's strongly connected components). */
function cycles(): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const { to } of byPath.get(v)!.local) {
      if (!byPath.has(to)) continue;
      if (!idx.has(to)) {
        visit(to);
        low.set(v, Math.min(low.get(v)!, low.get(to)!));
      } else if (on.has(to)) low.set(v, Math.min(low.get(v)!, idx.get(to)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || byPath.get(v)!.local.some((i) => i.to === v)) out.push(scc.sort());
    }
  };
  for (const f of files) if (!idx.has(f.path)) visit(f.path);
  return out;
}

describe('layers', () => {
  it('finds the sources it checks', () => {
    expect(files.length).toBeGreaterThan(100);
    for (const f of files) for (const i of f.local) expect(byPath.has(i.to), `${f.path} imports ${i.to}, which is not a source file`).toBe(true);
  });

  it('has no import cycle (type imports included)', () => {
    expect(cycles()).toEqual([]);
  });

  it('imports only inward: each layer from the layers below it', () => {
    const outward: string[] = [];
    for (const f of files) {
      const from = layerOf(f.path);
      if (from === 'index.ts') continue;
      for (const { to } of f.local) {
        const layer = layerOf(to);
        if (layer !== from && !ALLOWED[from]!.includes(layer)) outward.push(`${f.path} → ${to}`);
      }
    }
    expect(outward).toEqual([]);
  });

  it('keeps the runtime away from the reconciler: no apply, load or watch behind a replica', () => {
    const bad = files.filter((f) => f.path.startsWith('runtime/')).flatMap((f) => f.local.filter((i) => i.to.startsWith('reconciler/')).map((i) => `${f.path} → ${i.to}`));
    expect(bad).toEqual([]);
  });

  it('keeps the application client free of any import, so it bundles alone', () => {
    const client = files.filter((f) => f.path.startsWith('runtime/client/'));
    expect(client.length).toBeGreaterThan(0);
    expect(client.flatMap((f) => [...f.local.map((i) => i.to), ...f.packages.map((p) => p.name)])).toEqual([]);
  });

  it('keeps core, engine and kinds pure: no value import of a module that does I/O', () => {
    const bad = files
      .filter((f) => PURE_LAYERS.includes(layerOf(f.path)))
      .flatMap((f) => f.packages.filter((p) => !p.typeOnly && IO_PACKAGES.includes(p.name)).map((p) => `${f.path} imports ${p.name}`));
    expect(bad).toEqual([]);
  });

  it('lets only the CLI and the library entry touch process and the console', () => {
    const shell = (p: string) => p.startsWith('cli/') || p === 'index.ts';
    // Code only: comments may mention process.env when they say where a default comes from.
    const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
    const bad = files.filter((f) => !shell(f.path) && /\bprocess\.|\bconsole\.|from 'node:process'/.test(code(f.text))).map((f) => f.path);
    expect(bad).toEqual([]);
  });

  it('keeps every source file under 400 lines', () => {
    const long = files.map((f) => ({ path: f.path, lines: f.text.split('\n').length })).filter((f) => f.lines > 400);
    expect(long).toEqual([]);
  });

  it('cites docs/ in comments, never a design document users do not have', () => {
    expect(files.filter((f) => /DESIGN(\.md)? ?§/.test(f.text)).map((f) => f.path)).toEqual([]);
  });

  it('keeps each kind in one folder: kinds/<kind>/kind.ts and table.ts, and nothing of it elsewhere', () => {
    const folder = (kind: string) => kind.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
    for (const k of KINDS) {
      expect(byPath.has(`kinds/${folder(k.kind)}/kind.ts`), `kinds/${folder(k.kind)}/kind.ts`).toBe(true);
      expect(byPath.has(`kinds/${folder(k.kind)}/table.ts`), `kinds/${folder(k.kind)}/table.ts`).toBe(true);
      expect(k.schemaFile).toBe(`${folder(k.kind)}.schema.json`);
    }
    // The published schemas (specs/, where editors find them) are exactly the kinds' ones.
    const published = readdirSync(join(ROOT, 'specs')).filter((f) => f.endsWith('.schema.json')).sort();
    expect(KINDS.map((k) => k.schemaFile).sort()).toEqual(published);
  });
});
