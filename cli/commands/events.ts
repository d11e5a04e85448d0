import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { insertEvents } from '../../adapters/events/store.js';
import { EventFileError, formatOf, readEventFile, type EventFileFormat } from '../../adapters/files/event-file.js';
import { MAX_EVENTS_PER_BATCH, type ValidEvent } from '../../engine/events/types.js';
import { validateEvent } from '../../engine/events/validate.js';
import { eventRetention, withDatabase } from '../context.js';
import { CliError } from '../errors.js';
import { EXIT, type CliIO } from '../io.js';

/** Rejected rows listed in the text output; the rest are counted. */
const SHOWN = 20;
/** Rejected rows kept for --json; a file of millions of bad rows must not exhaust memory. */
const KEPT = 1000;
const HINT = 'pass a .jsonl file (one event object per line) or a .csv file with a header row; see docs/cli.md#labctl-events-import';

export interface ImportFlags {
  format?: EventFileFormat;
  json?: boolean;
}

interface Rejection {
  line: number;
  code: string;
  message: string;
}

interface Tally {
  rows: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  rejections: Rejection[];
}

const n = (x: number) => x.toLocaleString('en-US');
const rows = (x: number) => `${n(x)} row${x === 1 ? '' : 's'}`;

/** The counts as one line, for progress and the summary. */
function counts(t: Tally): string {
  return `${rows(t.rows)} read: ${n(t.accepted)} accepted, ${n(t.duplicates)} duplicates, ${n(t.rejected)} rejected`;
}

/**
 * labctl events import FILE: a backfill through the same validation (same codes) and the same
 * idempotent store as POST /v1/events, in batches of 1,000. Exit 0 when every row was accepted or
 * a duplicate; 1 when any row was rejected (the valid rows are stored all the same) or the file
 * cannot be read.
 */
export async function eventsImportCommand(io: CliIO, file: string, flags: ImportFlags): Promise<number> {
  const format = flags.format ?? formatOf(file);
  if (!format) throw new CliError(`cannot tell the format of ${file} from its name`, 'pass --format jsonl or --format csv (or name the file .jsonl or .csv)');
  const path = resolve(io.cwd, file);
  // Checked before the database is opened, so a mistyped path creates no embedded database.
  const st = await stat(path).catch((e: NodeJS.ErrnoException) => e);
  if (st instanceof Error) throw new CliError(`cannot read ${file}: ${st.code === 'ENOENT' ? 'no such file' : st.message}`, HINT);
  if (!st.isFile()) throw new CliError(`cannot read ${file}: not a file`, HINT);

  // The API's validation options: an event older than LABCTL_EVENT_RETENTION is expired_timestamp here too.
  const retentionMs = eventRetention(io);
  const t: Tally = { rows: 0, accepted: 0, duplicates: 0, rejected: 0, rejections: [] };
  const reject = (r: Rejection) => {
    t.rejected++;
    if (t.rejections.length < KEPT) t.rejections.push(r);
  };
  let lastProgress = 0;
  const progress = () => {
    if (Date.now() - lastProgress < 1000) return;
    lastProgress = Date.now();
    io.stderr.write(`events import: ${counts(t)}\n`);
  };

  const { target, failure } = await withDatabase(io, 'events import', async (db) => {
    let batch: ValidEvent[] = [];
    const store = async () => {
      if (batch.length === 0) return;
      const r = await insertEvents(db, batch);
      t.accepted += r.accepted;
      t.duplicates += r.duplicates;
      batch = [];
    };
    let failure: EventFileError | undefined;
    // The clock starts with the reading: opening the database is not progress.
    lastProgress = Date.now();
    try {
      for await (const row of readEventFile(path, format)) {
        t.rows++;
        if ('error' in row) reject({ line: row.line, ...row.error });
        else {
          const v = validateEvent(row.raw, Date.now(), { retentionMs });
          if (v.ok) batch.push(v.event);
          else reject({ line: row.line, code: v.code, message: v.message });
        }
        if (batch.length >= MAX_EVENTS_PER_BATCH) await store();
        progress();
      }
    } catch (e) {
      if (!(e instanceof EventFileError)) throw e;
      failure = e;
    }
    // The rows read before a file error are stored too, as rows before a rejected one are.
    await store();
    return { target: `${db.engine} ${db.target}`, failure };
  });

  if (failure) {
    const done = t.rows > 0 ? `; the rows before it were processed: ${counts(t)}` : '';
    const hint = t.rows > 0 ? 'fix the file and import it again: the rows stored now come back as duplicates' : HINT;
    throw new CliError(`${file}${failure.line ? `:${failure.line}` : ''}: ${failure.message}${done}`, hint);
  }
  if (flags.json) {
    io.stdout.write(
      JSON.stringify({ file, format, database: target, rows: t.rows, accepted: t.accepted, duplicates: t.duplicates, rejected: t.rejected, rejections: t.rejections, rejectionsOmitted: t.rejected - t.rejections.length }, null, 2) + '\n',
    );
  } else {
    const lines = [`Imported ${file} (${format}) into ${target}: ${counts(t)}.`];
    if (t.rejected > 0) {
      lines.push('Rejected rows (nothing stored for them):');
      const shown = t.rejections.slice(0, SHOWN);
      const lw = Math.max(...shown.map((r) => String(r.line).length));
      const cw = Math.max(...shown.map((r) => r.code.length));
      for (const r of shown) lines.push(`  line ${String(r.line).padEnd(lw)}  ${r.code.padEnd(cw)}  ${r.message}`);
      if (t.rejected > SHOWN) lines.push(`  … and ${n(t.rejected - SHOWN)} more`);
    }
    io.stdout.write(lines.join('\n') + '\n');
  }
  if (t.rejected === 0) return EXIT.ok;
  const stored = t.accepted + t.duplicates;
  throw new CliError(
    `${n(t.rejected)} of ${rows(t.rows)} rejected; the other ${n(stored)} are stored (${n(t.accepted)} new, ${n(t.duplicates)} already there)`,
    'fix the rejected lines and import the file again: rows already stored come back as duplicates',
  );
}
