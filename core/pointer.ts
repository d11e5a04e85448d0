import type { Diagnostic, PathProblem, SourceRange } from './types.js';

export type { PathProblem } from './types.js';

/** JSON pointer of a path (`/variants/0/weight`). */
export function toPointer(path: ReadonlyArray<string | number>): string {
  return path.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/** Path segments of a JSON pointer. */
export function fromPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}


/** Turn a path-addressed problem into a diagnostic, positioned when the range is known. */
export function problemToDiagnostic(p: PathProblem, range: SourceRange | undefined): Diagnostic {
  const d: Diagnostic = { severity: p.severity ?? 'error', code: p.code, summary: p.summary, path: toPointer(p.path) };
  if (p.detail) d.detail = p.detail;
  if (p.hint) d.hint = p.hint;
  if (range) d.range = range;
  return d;
}
