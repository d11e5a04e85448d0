import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse, type CsvError, type InfoRecord, type Options } from 'csv-parse';

/**
 * Reading a backfill for `labctl events import`: a .jsonl or .csv file streamed into raw event
 * objects, each with the line it starts on, so a rejection names the line a person can open. The
 * objects are not validated here: the importer runs them through the same validation as
 * POST /v1/events. The CSV layout is documented in docs/cli.md#labctl-events-import.
 */

export type EventFileFormat = 'jsonl' | 'csv';

/** One row: a raw event to validate, or why the row could not be read as one. */
export type EventRow = { line: number; raw: unknown } | { line: number; error: { code: string; message: string } };

/** The file as a whole cannot be read (missing, a bad CSV header, a CSV syntax error): nothing after `line` was read. */
export class EventFileError extends Error {
  constructor(message: string, readonly line?: number) {
    super(message);
    this.name = 'EventFileError';
  }
}

/** The format a file name implies: .jsonl and .ndjson are JSON lines, .csv is CSV. */
export function formatOf(path: string): EventFileFormat | undefined {
  const m = /\.([^./\\]+)$/.exec(path.toLowerCase());
  if (m?.[1] === 'jsonl' || m?.[1] === 'ndjson') return 'jsonl';
  if (m?.[1] === 'csv') return 'csv';
  return undefined;
}

/** Stream the rows of an event file. Throws EventFileError when the file cannot be read on. */
export function readEventFile(path: string, format: EventFileFormat): AsyncGenerator<EventRow> {
  return format === 'jsonl' ? readJsonl(path) : readCsv(path);
}

function openError(path: string, e: unknown): EventFileError {
  const err = e as NodeJS.ErrnoException;
  const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a directory' : err.code === 'EACCES' ? 'permission denied' : err.message;
  return new EventFileError(`cannot read ${path}: ${why}`);
}

async function* readJsonl(path: string): AsyncGenerator<EventRow> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      // A byte-order mark on the first line is an editor's, not part of the JSON.
      const s = (line === 1 ? text.replace(/^\uFEFF/, '') : text).trim();
      if (s === '') continue;
      try {
        yield { line, raw: JSON.parse(s) as unknown };
      } catch (e) {
        yield { line, error: { code: 'invalid_json', message: `not JSON: ${(e as Error).message}` } };
      }
    }
  } catch (e) {
    throw openError(path, e);
  } finally {
    lines.close();
  }
}

const TOP = ['id', 'event', 'timestamp', 'value'] as const;
const OBJECTS = ['attributes', 'properties'] as const;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

type Column = { kind: 'top'; name: (typeof TOP)[number] } | { kind: 'json'; name: (typeof OBJECTS)[number] } | { kind: 'field'; object: (typeof OBJECTS)[number]; key: string };

/** The header row, checked once: every column must mean something, so a typo is not silently dropped. */
function columns(header: string[]): Column[] {
  const seen = new Set<string>();
  const out = header.map((raw, i): Column => {
    const h = raw.trim();
    if (seen.has(h)) throw new EventFileError(`CSV header: column "${h}" appears twice`, 1);
    seen.add(h);
    if ((TOP as readonly string[]).includes(h)) return { kind: 'top', name: h as (typeof TOP)[number] };
    if ((OBJECTS as readonly string[]).includes(h)) return { kind: 'json', name: h as (typeof OBJECTS)[number] };
    const dot = h.indexOf('.');
    const object = h.slice(0, dot);
    if (dot > 0 && dot < h.length - 1 && (OBJECTS as readonly string[]).includes(object)) return { kind: 'field', object: object as (typeof OBJECTS)[number], key: h.slice(dot + 1) };
    throw new EventFileError(`CSV header: unknown column "${h}" (column ${i + 1}); columns are id, event, timestamp, value, attributes and properties (JSON objects), attributes.NAME and properties.NAME`, 1);
  });
  for (const need of ['id', 'event'] as const) {
    if (!out.some((c) => c.kind === 'top' && c.name === need)) throw new EventFileError(`CSV header: no "${need}" column`, 1);
  }
  return out;
}

/** One CSV record as a raw event. Empty cells are absent fields; `value` becomes a number when it reads as one. */
function csvEvent(cols: Column[], cells: string[], line: number): EventRow {
  if (cells.length !== cols.length) return { line, error: { code: 'invalid_csv', message: `${cells.length} fields, the header has ${cols.length}` } };
  const ev: Record<string, unknown> = {};
  const objects: Record<string, Record<string, unknown>> = {};
  const fields: Array<[string, string, string]> = [];
  for (let i = 0; i < cols.length; i++) {
    const c = cols[i]!;
    const cell = cells[i]!;
    if (cell === '') continue;
    if (c.kind === 'top') ev[c.name] = c.name === 'value' && NUMBER.test(cell.trim()) ? Number(cell) : cell;
    else if (c.kind === 'field') fields.push([c.object, c.key, cell]);
    else {
      let parsed: unknown;
      try {
        parsed = JSON.parse(cell);
      } catch (e) {
        return { line, error: { code: 'invalid_json', message: `column ${c.name} is not JSON: ${(e as Error).message}` } };
      }
      // Not an object: left as it is, for the validator to reject with its own code.
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) ev[c.name] = parsed;
      else objects[c.name] = parsed as Record<string, unknown>;
    }
  }
  // A column attributes.X wins over key X of the attributes JSON column: it is the more specific.
  for (const [object, key, cell] of fields) (objects[object] ??= {})[key] = cell;
  // A row whose attribute cells are all empty has no attributes, and is rejected as the API would.
  for (const name of OBJECTS) if (objects[name] && ev[name] === undefined) ev[name] = objects[name];
  return { line, raw: ev };
}

/** The line a record starts on, from the line it ends on and its raw text (quoted fields may span lines). */
function startLine(endLine: number, raw: string): number {
  const text = raw.replace(/^(\r?\n)+/, '').replace(/\r?\n$/, '');
  return endLine - (text.match(/\n/g)?.length ?? 0);
}

async function* readCsv(path: string): AsyncGenerator<EventRow> {
  // Records are taken in on_record (and not pushed on) so that those parsed before a syntax error
  // in the same chunk are still processed: the stream discards its buffer when it errors.
  const pending: EventRow[] = [];
  let cols: Column[] | undefined;
  let headerError: EventFileError | undefined;
  const options: Options = {
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    raw: true,
    on_record: (rec: unknown, ctx: InfoRecord) => {
      // With raw: true the parser hands over the fields and the record's text.
      const { record, raw } = rec as { record: string[]; raw: string };
      const line = startLine(ctx.lines, raw);
      if (!cols && !headerError) {
        try {
          cols = columns(record);
        } catch (e) {
          headerError = e as EventFileError;
        }
      } else if (cols) pending.push(csvEvent(cols, record, line));
      return null;
    },
  };
  const parser = parse(options);
  let syntax: CsvError | undefined;
  let wake: (() => void) | undefined;
  // A write that fails may never call back: the error wakes the waiting write instead.
  parser.on('error', (e: CsvError) => {
    syntax ??= e;
    wake?.();
  });
  parser.resume();
  const write = (chunk: Buffer | null) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      if (chunk === null) parser.end(() => resolve());
      else parser.write(chunk, () => resolve());
    });
  const input = createReadStream(path);
  try {
    for await (const chunk of input) {
      await write(chunk as Buffer);
      if (headerError) throw headerError;
      yield* pending.splice(0);
      if (syntax) break;
    }
    if (!syntax) await write(null);
    if (headerError) throw headerError;
    yield* pending.splice(0);
  } catch (e) {
    if (e instanceof EventFileError) throw e;
    throw openError(path, e);
  } finally {
    input.destroy();
  }
  if (syntax) {
    const line = (syntax as CsvError & { lines?: number }).lines;
    throw new EventFileError(`CSV syntax error: ${syntax.message}`, line);
  }
  if (!cols) throw new EventFileError('CSV file is empty: the first line must be a header (id,event,timestamp,value,attributes.NAME,…)', 1);
}
