import type { Diagnostic, Resource, SourceRange } from '../../core/types.js';
import { KINDS } from '../../kinds/index.js';
import type { KindDef, RuleContext } from '../../kinds/types.js';
import { locate } from './locate.js';
import { problemToDiagnostic, toPointer } from '../../core/pointer.js';
import { parseSpecFile, type ParsedDocument } from './parse.js';
import { SPEC_FOLDERS } from '../../adapters/files/spec-files.js';
import { describeValue, didYouMean, SchemaValidator } from './schema.js';

export type { SpecFile } from '../../core/types.js';
import type { SpecFile } from '../../core/types.js';

/** The desired state read from specs, with diagnostics and a way to point into the sources. */
export interface DesiredState {
  resources: Resource[];
  diagnostics: Diagnostic[];
  /** Spec files read (the ignored ones not counted). */
  files: number;
  /**
   * YAML files outside the conventional folders that are someone else's (no document has a
   * `kind`, or only Kubernetes-style `apiVersion` documents of kinds labctl does not know).
   */
  ignored?: string[];
  /** Source range of a path inside a resource's document (for plan-time diagnostics). */
  locate(resource: Resource, path: ReadonlyArray<string | number>): SourceRange | undefined;
}

function key(kind: string, name: string): string {
  return `${kind}/${name}`;
}

/** Build a context over resources for rules; readFile reads files the specs refer to. */
export function ruleContext(resources: readonly Resource[], readFile?: (path: string) => SpecFile): RuleContext {
  const byKey = new Map(resources.map((r) => [key(r.kind, r.name), r]));
  const byKind = new Map<string, Resource[]>();
  for (const r of resources) {
    const list = byKind.get(r.kind) ?? [];
    list.push(r);
    byKind.set(r.kind, list);
  }
  return { get: (k, n) => byKey.get(key(k, n)), ofKind: (k) => byKind.get(k) ?? [], ...(readFile ? { readFile } : {}) };
}

/** Validates spec files into a desired state; create one per process and reuse it (schemas compile once). */
export class SpecLoader {
  private readonly schemas: SchemaValidator;
  private kindLine: RegExp | undefined;

  /** kinds: the kinds to accept, in apply order (default: every kind labctl knows). */
  constructor(private readonly kinds: readonly KindDef[] = KINDS) {
    this.schemas = new SchemaValidator(kinds);
  }

  /** Parse, schema-check, normalise and rule-check every document of the given files (opts.readFile: files the specs refer to, e.g. datasets). */
  load(files: readonly SpecFile[], opts: { readFile?: (path: string) => SpecFile } = {}): DesiredState {
    const diagnostics: Diagnostic[] = [];
    const resources: Resource[] = [];
    const docs = new Map<Resource, ParsedDocument>();
    const seen = new Map<string, Resource>();
    const ignored: string[] = [];
    for (const f of files) {
      if (f.bytes === undefined) {
        diagnostics.push({ severity: 'error', code: 'unreadable-file', summary: `cannot read file: ${f.error ?? 'unknown error'}`, hint: 'check the file exists and is readable, or remove it', range: { filename: f.path, start: { line: 1, column: 1 }, end: { line: 1, column: 1 } } });
        continue;
      }
      const parsed = parseSpecFile(f.path, f.bytes);
      if (this.isForeign(f.path, parsed, f.bytes)) {
        ignored.push(f.path);
        continue;
      }
      diagnostics.push(...parsed.diagnostics);
      for (const pd of parsed.documents) {
        const r = this.resourceOf(pd, diagnostics);
        if (!r) continue;
        const k = key(r.kind, r.name);
        const first = seen.get(k);
        if (first) {
          // Each side names the other's `name:` position, the same position its own diagnostic points at.
          const at = (x: SourceRange) => `${x.filename}:${x.start.line}:${x.start.column}`;
          const nameRange = locate(pd, ['name']);
          const firstRange = locate(docs.get(first)!, ['name']);
          diagnostics.push({ severity: 'error', code: 'duplicate-name', path: '/name', summary: `${r.kind} "${r.name}" is declared twice`, detail: `first declared at ${at(firstRange)}`, hint: 'rename one of them or delete the duplicate', range: nameRange });
          diagnostics.push({ severity: 'error', code: 'duplicate-name', path: '/name', summary: `${r.kind} "${r.name}" is declared twice`, detail: `declared again at ${at(nameRange)}`, hint: 'rename one of them or delete the duplicate', range: firstRange });
          continue;
        }
        seen.set(k, r);
        resources.push(r);
        docs.set(r, pd);
      }
    }
    const locateIn = (r: Resource, path: ReadonlyArray<string | number>, offset?: number) => {
      const pd = docs.get(r);
      return pd ? locate(pd, path, { offset }) : undefined;
    };
    const ctx = ruleContext(resources, opts.readFile);
    for (const def of this.kinds) {
      const ofKind = ctx.ofKind(def.kind);
      if (def.rules) for (const r of ofKind) for (const p of def.rules(r, ctx)) diagnostics.push(problemToDiagnostic(p, locateIn(r, p.path, p.offset)));
      if (def.groupRules) for (const { resource, problem } of def.groupRules(ofKind, ctx)) diagnostics.push(problemToDiagnostic(problem, locateIn(resource, problem.path, problem.offset)));
    }
    return { resources, diagnostics: sortDiagnostics(diagnostics), files: files.length - ignored.length, ignored, locate: locateIn };
  }

  /**
   * Whether a file is another tool's YAML (a compose file, a CI workflow, Helm values, a Kubernetes
   * manifest) rather than a broken spec: outside the conventional folders, no document has a kind
   * labctl knows and no line declares one. Inside them every YAML file is a spec, so a forgotten
   * `kind` stays an error there.
   */
  private isForeign(path: string, parsed: { documents: ParsedDocument[]; diagnostics: Diagnostic[] }, bytes: Buffer): boolean {
    if ((SPEC_FOLDERS as readonly string[]).includes(path.split('/')[0]!) && path.includes('/')) return false;
    if (parsed.documents.length === 0 && parsed.diagnostics.every((d) => d.code === 'empty-file')) return false;
    const known = (k: unknown) => typeof k === 'string' && this.kinds.some((d) => d.kind === k);
    if (parsed.documents.some((d) => known(d.value.kind) || (d.value.kind !== undefined && d.value.apiVersion === undefined))) return false;
    this.kindLine ??= new RegExp(`^kind:\\s*["']?(${this.kinds.map((k) => k.kind).join('|')})["']?\\s*(#.*)?$`, 'm');
    return !this.kindLine.test(bytes.toString('utf8'));
  }

  private resourceOf(pd: ParsedDocument, out: Diagnostic[]): Resource | undefined {
    const v = pd.value;
    if (typeof v.kind !== 'string') {
      const missing = v.kind === undefined;
      out.push({ severity: 'error', code: missing ? 'missing-field' : 'wrong-type', path: '/kind', summary: missing ? 'missing required field "kind"' : `kind must be a string, got ${describeValue(v.kind)}`, hint: `${missing ? 'add' : 'write'} kind: one of ${this.kinds.map((k) => k.kind).join(', ')}`, range: locate(pd, missing ? [] : ['kind']) });
      return undefined;
    }
    const def = this.kinds.find((k) => k.kind === v.kind);
    if (!def) {
      const guess = didYouMean(v.kind, this.kinds.map((k) => k.kind));
      out.push({ severity: 'error', code: 'unknown-kind', path: '/kind', summary: `unknown kind "${v.kind}"`, hint: guess ? `did you mean "${guess}"?` : `use one of: ${this.kinds.map((k) => k.kind).join(', ')}`, range: locate(pd, ['kind']) });
      return undefined;
    }
    const errors = this.schemas.check(def.kind, pd);
    if (errors.length > 0) {
      out.push(...errors);
      return undefined;
    }
    const nul = findNul(v, []);
    if (nul) {
      out.push({ severity: 'error', code: 'nul-character', path: toPointer(nul), summary: 'text contains a NUL character (\\u0000), which PostgreSQL cannot store', hint: 'remove the \\0 / \\u0000 escape from the string', range: locate(pd, nul) });
      return undefined;
    }
    const name = v.name as string;
    const at = pd.kindAt ?? locate(pd, ['kind']).start;
    return { kind: def.kind, name, spec: def.normalise(v), source: { file: pd.file, line: at.line, column: at.column, document: pd.index } };
  }
}

/** Path of the first string (value or key) containing U+0000, if any. */
function findNul(v: unknown, path: Array<string | number>): Array<string | number> | undefined {
  if (typeof v === 'string') return v.includes('\u0000') ? path : undefined;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = findNul(v[i], [...path, i]);
      if (p) return p;
    }
  } else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      if (k.includes('\u0000')) return [...path, k];
      const p = findNul(x, [...path, k]);
      if (p) return p;
    }
  }
  return undefined;
}

/** Diagnostics in file, line, column order so output is stable. */
export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => {
    const fa = a.range?.filename ?? '';
    const fb = b.range?.filename ?? '';
    if (fa !== fb) return fa < fb ? -1 : 1;
    return (a.range?.start.line ?? 0) - (b.range?.start.line ?? 0) || (a.range?.start.column ?? 0) - (b.range?.start.column ?? 0);
  });
}
