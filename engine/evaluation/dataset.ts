import { createHash } from 'node:crypto';
import { parse, type CsvError } from 'csv-parse/sync';
import { canonicalJson, sha256 } from '../../core/hash.js';
import type { Json, JsonObject } from '../../core/types.js';
import type { DatasetFormat } from './spec.js';
import type { DatasetRow } from './types.js';

// A dataset's bytes read into rows, pure: the validator reads local files through it, the runner
// reads local and S3 datasets the same way. JSON lines: one object per line. CSV: a header row
// naming the fields, then one row per record; cells are text, and an empty cell is no field.

/** Larger datasets belong in object storage (uri: s3://…), not in the repository. */
export const MAX_DATASET_BYTES = 64 * 1024 * 1024;

/** A dataset read whole: its rows and the SHA-256 of its bytes (what a run and a gate record). */
export interface Dataset {
  format: DatasetFormat;
  digest: string;
  rows: DatasetRow[];
}

/** Why a dataset cannot be read, at a line of it (1-based). */
export interface DatasetProblem {
  line: number;
  message: string;
  hint: string;
}

export type DatasetParse = { ok: true; dataset: Dataset } | { ok: false; problem: DatasetProblem };

/** SHA-256 hex of a dataset's bytes. */
export function datasetDigest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The key of a row: SHA-256 of its canonical JSON, so a row keeps its key when others move. */
export function rowKey(values: JsonObject): string {
  return sha256(canonicalJson(values));
}

const fail = (line: number, message: string, hint: string): DatasetParse => ({ ok: false, problem: { line, message, hint } });

/** The text of the bytes, or the line of the first byte that is not UTF-8. */
function decode(bytes: Uint8Array): { ok: true; text: string } | { ok: false; line: number } {
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    const lossy = new TextDecoder('utf-8').decode(bytes);
    const at = lossy.indexOf('\uFFFD');
    return { ok: false, line: lossy.slice(0, Math.max(0, at)).split('\n').length };
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return `a ${typeof v}`;
}

function parseJsonl(text: string): DatasetParse | DatasetRow[] {
  const rows: DatasetRow[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const s = lines[i]!.replace(/\r$/, '').trim();
    if (s === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(s);
    } catch (e) {
      return fail(i + 1, `not JSON: ${(e as Error).message}`, 'write one JSON object per line, e.g. {"question": "…", "expected": "…"}');
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail(i + 1, `the line is ${describe(v)}, not a JSON object`, 'write one JSON object per line: its fields are the row’s fields');
    rows.push({ index: rows.length, line: i + 1, key: rowKey(v as JsonObject), values: v as JsonObject });
  }
  return rows;
}

/** The line a record starts on, from the line it ends on and its raw text (quoted cells may span lines). */
function firstLine(endLine: number, raw: string): number {
  const body = raw.replace(/^(\r?\n)+/, '').replace(/\r?\n$/, '');
  return endLine - body.split('\n').length + 1;
}

function parseCsv(text: string): DatasetParse | DatasetRow[] {
  let records: Array<{ record: string[]; raw: string; info: { lines: number } }>;
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, info: true, raw: true }) as unknown as typeof records;
  } catch (e) {
    const err = e as CsvError & { lines?: number };
    return fail(err.lines ?? 1, `CSV: ${err.message.replace(/ (on|at) line \d+$/, '')}`, 'quote cells that hold commas, quotes or line breaks ("a, b"), and give every row as many cells as the header');
  }
  if (records.length === 0) return [];
  const header = records[0]!.record.map((h) => h.trim());
  const seen = new Set<string>();
  for (const [i, h] of header.entries()) {
    if (h === '') return fail(1, `CSV header: column ${i + 1} has no name`, 'name every column in the first line: the names are the row’s fields');
    if (seen.has(h)) return fail(1, `CSV header: column "${h}" appears twice`, 'give every column its own name');
    seen.add(h);
  }
  return records.slice(1).map((r, index) => {
    const values: JsonObject = {};
    r.record.forEach((cell, i) => {
      if (cell !== '') values[header[i]!] = cell as Json;
    });
    return { index, line: firstLine(r.info.lines, r.raw), key: rowKey(values), values };
  });
}

/** Read a dataset's bytes into rows; the problem names the line it is on. */
export function parseDataset(bytes: Uint8Array, format: DatasetFormat): DatasetParse {
  if (bytes.byteLength > MAX_DATASET_BYTES) {
    return fail(1, `the file has ${bytes.byteLength} bytes, more than the ${MAX_DATASET_BYTES / 1024 / 1024} MiB a dataset in the repository may have`, 'keep large datasets in object storage: dataset: { uri: s3://bucket/key }');
  }
  const text = decode(bytes);
  if (!text.ok) return fail(text.line, 'the bytes are not UTF-8', 'save the file as UTF-8');
  const body = text.text.replace(/^\uFEFF/, '');
  const rows = format === 'jsonl' ? parseJsonl(body) : parseCsv(body);
  if (!Array.isArray(rows)) return rows;
  return { ok: true, dataset: { format, digest: datasetDigest(bytes), rows } };
}
