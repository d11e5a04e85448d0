import { isUtf8 } from 'node:buffer';
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { Diagnostic, JsonObject, SourceRange } from '../core/types.js';

/** Larger spec files are refused: split them (a 10,000-experiment repository stays far below this per file). */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;
/** YAML aliases beyond this count are refused (billion-laughs protection). */
export const MAX_ALIAS_COUNT = 100;

/** One YAML document of a spec file, with what is needed to point back into it. */
export interface ParsedDocument {
  file: string;
  index: number;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  value: JsonObject;
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
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const documents: ParsedDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  const list = Array.isArray(docs) ? docs : [];
  list.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        diagnostics.push({
          severity: 'error',
          code: 'yaml-syntax',
          summary: e.message.split('\n')[0]!,
          hint: 'fix the YAML syntax at this position (indentation, quotes, a missing colon)',
          range: rangeAt(file, lineCounter, e.pos[0], e.pos[1]),
        });
      }
      return;
    }
    if (doc.contents === null) return; // an empty document, e.g. after a trailing ---
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      const start = doc.contents.range[0];
      diagnostics.push({
        severity: 'error',
        code: 'yaml-alias-limit',
        summary: `document expands too many aliases: ${(e as Error).message}`,
        hint: 'write the values out instead of nesting *aliases',
        range: rangeAt(file, lineCounter, start),
      });
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      diagnostics.push({
        severity: 'error',
        code: 'not-a-mapping',
        summary: 'a spec document must be a mapping with kind and name',
        hint: 'start the document with kind: Experiment (or another kind) and name: …',
        range: rangeAt(file, lineCounter, doc.contents.range[0], doc.contents.range[1]),
      });
      return;
    }
    documents.push({ file, index, doc, lineCounter, value: value as JsonObject });
  });
  if (documents.length === 0 && diagnostics.length === 0) {
    diagnostics.push(fileError(file, 'empty-file', 'file holds no spec (it is empty or only comments)', 'add a spec, or delete the file', lineColOfOffset(text, text.length)));
  }
  return { documents, diagnostics };
}
