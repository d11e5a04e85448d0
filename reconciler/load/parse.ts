import { isUtf8 } from 'node:buffer';
import jsyaml from 'js-yaml';
import { LineCounter, parseAllDocuments, parseDocument, visit, type Document, type YAMLError } from 'yaml';
import type { Diagnostic, JsonObject, SourceRange } from '../../core/types.js';

/** Larger spec files are refused: split them (a 10,000-experiment repository stays far below this per file). */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;
/** YAML aliases beyond this count are refused (billion-laughs protection). */
export const MAX_ALIAS_COUNT = 100;

/** One YAML document of a spec file, with what is needed to point back into it. */
export interface ParsedDocument {
  file: string;
  index: number;
  /** The full YAML tree with source ranges; built on first use for documents read by the fast path. */
  readonly doc: Document.Parsed;
  readonly lineCounter: LineCounter;
  value: JsonObject;
  /** Position of the `kind` value when it was found without the full tree. */
  kindAt?: { line: number; column: number };
  /** Source text the tree's offsets refer to (for positions inside multi-line strings). */
  readonly source: string;
}

export interface ParsedFile {
  documents: ParsedDocument[];
  diagnostics: Diagnostic[];
}

/** A range from two character offsets of a file. */
export function rangeAt(file: string, lc: LineCounter, start: number, end: number = start): SourceRange {
  const s = lc.linePos(start);
  const e = lc.linePos(Math.max(start, end));
  return { filename: file, start: { line: s.line, column: s.col }, end: { line: e.line, column: e.col } };
}

function lineColOfOffset(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let col = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      col = 1;
    } else col++;
  }
  return { line, column: col };
}

function fileError(file: string, code: string, summary: string, hint: string, at = { line: 1, column: 1 }): Diagnostic {
  return { severity: 'error', code, summary, hint, range: { filename: file, start: at, end: at } };
}

/** The first scalar (by position) satisfying test, e.g. the key or quoted string an error is about. */
function findScalar(doc: Document.Parsed, test: (type: string | undefined, range: [number, number, number]) => boolean): { value: unknown; start: number } | undefined {
  let found: { value: unknown; start: number } | undefined;
  visit(doc, {
    Scalar(_, n) {
      if (n.range && test(n.type, n.range) && (!found || n.range[0] < found.start)) found = { value: n.value, start: n.range[0] };
    },
  });
  return found;
}

/** A YAML syntax error as a diagnostic: pointed at the token it is about, with a hint that fits. */
function syntaxDiagnostic(file: string, text: string, lc: LineCounter, doc: Document.Parsed, e: YAMLError): Diagnostic {
  let [start, end] = e.pos;
  let code = 'yaml-syntax';
  let summary = e.message.split('\n')[0]!;
  let hint = 'fix the YAML syntax at this position (indentation, quotes, a missing colon)';
  if (e.code === 'DUPLICATE_KEY') {
    const key = findScalar(doc, (_t, r) => r[0] === start);
    code = 'duplicate-key';
    if (key) summary = `key ${JSON.stringify(String(key.value))} appears twice in the same mapping`;
    hint = 'keep one of the two entries (YAML keys must be unique within a mapping)';
  } else if (e.code === 'RESOURCE_EXHAUSTION') {
    code = 'yaml-too-deep';
    summary = 'the YAML nests too deeply to be read';
    hint = 'flatten the value: specs never need more than a few dozen levels of nesting';
  } else if (e.code === 'TAB_AS_INDENT') {
    hint = 'indent with spaces; YAML does not allow tabs for indentation';
  } else if (e.code === 'MISSING_CHAR' && /quote/.test(e.message)) {
    // The scanner notices a missing closing quote at the end of the file: point at the opening quote instead.
    const q = findScalar(doc, (t, r) => (t === 'QUOTE_DOUBLE' || t === 'QUOTE_SINGLE') && r[1] >= start);
    if (q) [start, end] = [q.start, q.start + 1];
    hint = 'close the quoted string on the line where it starts';
  }
  // An error at the very end of a file that ends with a newline belongs to the last line, not the one after it.
  if (start >= text.length && text.endsWith('\n')) {
    start = Math.max(0, text.length - 1);
    end = start;
  }
  return { severity: 'error', code, summary, hint, range: rangeAt(file, lc, start, end) };
}

const DOC_MARKER = /^(---|\.\.\.)(?=[ \t]|$)/;

/** A document read by the fast path: the positioned tree is parsed from its own lines only when asked for. */
function lazyDocument(file: string, index: number, value: JsonObject, lines: readonly string[], firstLine: number): ParsedDocument {
  let parsed: { doc: Document.Parsed; lineCounter: LineCounter; source: string } | undefined;
  const full = () => {
    if (!parsed) {
      // Blank lines in front keep every offset, line and column identical to the whole file's.
      const lineCounter = new LineCounter();
      const source = '\n'.repeat(firstLine - 1) + lines.join('\n');
      const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true }) as Document.Parsed;
      parsed = { doc, lineCounter, source };
    }
    return parsed;
  };
  const kindLine = lines.findIndex((l) => /^kind:[ \t]*[A-Za-z]/.test(l));
  const kindAt = kindLine >= 0 ? { line: firstLine + kindLine, column: (/^kind:[ \t]*/.exec(lines[kindLine]!)?.[0].length ?? 0) + 1 } : undefined;
  return {
    file,
    index,
    value,
    kindAt,
    get doc() {
      return full().doc;
    },
    get lineCounter() {
      return full().lineCounter;
    },
    get source() {
      return full().source;
    },
  };
}

/**
 * Fast path for ordinary files: js-yaml (YAML 1.2 core schema, ~10× faster) per document. Anything
 * unusual — anchors or aliases, directives, a parse error, a non-mapping document — returns
 * undefined, and the full parser, which owns every diagnostic, reads the file instead.
 */
function parseFast(file: string, text: string): ParsedDocument[] | undefined {
  if (/[&*]/.test(text) || /^%/m.test(text)) return undefined;
  const lines = text.split(/\r?\n/);
  // A marker followed by content (`--- !tag`, `--- {a: 1}`) is left to the full parser.
  const afterMarker = (l: string) => l.slice(3).trim();
  if (lines.some((l) => DOC_MARKER.test(l) && afterMarker(l) !== '' && !afterMarker(l).startsWith('#'))) return undefined;
  const segments: Array<{ first: number; lines: string[] }> = [];
  let current: { first: number; lines: string[] } = { first: 1, lines: [] };
  lines.forEach((line, i) => {
    if (!DOC_MARKER.test(line)) {
      current.lines.push(line);
      return;
    }
    segments.push(current);
    current = { first: i + 2, lines: [] };
  });
  segments.push(current);
  const out: ParsedDocument[] = [];
  let index = 0;
  for (const seg of segments) {
    let value: unknown;
    try {
      value = jsyaml.load(seg.lines.join('\n'), { schema: jsyaml.CORE_SCHEMA, filename: file });
    } catch {
      return undefined;
    }
    if (value === undefined || value === null) {
      if (seg.lines.some((l) => l.trim() !== '' && !l.trim().startsWith('#'))) return undefined;
      continue; // blank or comment-only: not a document
    }
    if (typeof value !== 'object' || Array.isArray(value)) return undefined;
    out.push(lazyDocument(file, index++, value as JsonObject, seg.lines, seg.first));
  }
  return out.length > 0 ? out : undefined;
}

/** Parse one spec file into documents; every problem becomes a positioned diagnostic, never an exception. */
export function parseSpecFile(file: string, bytes: Buffer): ParsedFile {
  if (bytes.length > MAX_FILE_BYTES) {
    return {
      documents: [],
      diagnostics: [fileError(file, 'file-too-large', `file is ${(bytes.length / 1048576).toFixed(1)} MiB; the limit is ${MAX_FILE_BYTES / 1048576} MiB`, 'split the specs into several files')],
    };
  }
  if (!isUtf8(bytes)) {
    const lossy = bytes.toString('utf8');
    const at = lineColOfOffset(lossy, Math.max(0, lossy.indexOf('\uFFFD')));
    return { documents: [], diagnostics: [fileError(file, 'invalid-encoding', 'file is not valid UTF-8', 're-save the file as UTF-8', at)] };
  }
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  const fast = parseFast(file, text);
  if (fast) return { documents: fast, diagnostics: [] };
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true }) as Document.Parsed[];
  const documents: ParsedDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  const list = Array.isArray(docs) ? docs : [];
  list.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) diagnostics.push(syntaxDiagnostic(file, text, lineCounter, doc, e));
      return;
    }
    if (doc.contents === null) return; // an empty document, e.g. after a trailing ---
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      const message = (e as Error).message;
      const unresolved = /^Unresolved alias.*: (.+)$/.exec(message);
      if (unresolved) {
        // *name without an earlier &name: point at the alias itself.
        let at = doc.contents.range[0];
        visit(doc, {
          Alias(_, n) {
            if (n.source !== unresolved[1] || !n.range) return undefined;
            at = n.range[0];
            return visit.BREAK;
          },
        });
        diagnostics.push({
          severity: 'error',
          code: 'yaml-unresolved-alias',
          summary: `alias *${unresolved[1]} refers to no anchor`,
          hint: `define &${unresolved[1]} earlier in the same document, or write the value out`,
          range: rangeAt(file, lineCounter, at),
        });
        return;
      }
      const start = doc.contents.range[0];
      diagnostics.push({
        severity: 'error',
        code: 'yaml-alias-limit',
        summary: `document expands too many aliases (more than ${MAX_ALIAS_COUNT}): ${message}`,
        hint: 'write the values out instead of nesting *aliases',
        range: rangeAt(file, lineCounter, start),
      });
      return;
    }
    if (value === null || value === undefined) return; // `---` followed by nothing or only comments
    if (typeof value !== 'object' || Array.isArray(value)) {
      diagnostics.push({
        severity: 'error',
        code: 'not-a-mapping',
        summary: 'a spec document must be a mapping with kind and name',
        hint: 'start the document with kind: Experiment (or another kind) and name: …',
        range: rangeAt(file, lineCounter, doc.contents.range[0], doc.contents.range[1]),
      });
      return;
    }
    documents.push({ file, index, doc, lineCounter, source: text, value: value as JsonObject });
  });
  if (documents.length === 0 && diagnostics.length === 0) {
    diagnostics.push(fileError(file, 'empty-file', 'file holds no spec (it is empty or only comments)', 'add a spec, or delete the file'));
  }
  return { documents, diagnostics };
}
