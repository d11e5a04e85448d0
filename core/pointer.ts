import type { Diagnostic, SourceRange } from './types.js';

/** JSON pointer of a path (`/variants/0/weight`). */
export function toPointer(path: ReadonlyArray<string | number>): string {
  return path.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/** Path segments of a JSON pointer. */
export function fromPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** A problem found by a rule, addressed by a path inside the resource's document. */
export interface PathProblem {
  severity?: 'error' | 'warning';
  code: string;
  summary: string;
  detail?: string;
  hint?: string;
  path: ReadonlyArray<string | number>;
  /** Character offset inside the string at path, for a position within a multi-line value. */
  offset?: number;
}

/** Turn a path-addressed problem into a diagnostic, positioned when the range is known. */
export function problemToDiagnostic(p: PathProblem, range: SourceRange | undefined): Diagnostic {
  const d: Diagnostic = { severity: p.severity ?? 'error', code: p.code, summary: p.summary, path: toPointer(p.path) };
  if (p.detail) d.detail = p.detail;
  if (p.hint) d.hint = p.hint;
  if (range) d.range = range;
  return d;
}
