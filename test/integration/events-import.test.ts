// labctl events import on both engines, through the in-process CLI: JSON lines and CSV files with
// good and bad rows (exact line numbers, codes of the API's validation, exit 1, good rows stored),
// a second import storing nothing new, a clean file exiting 0, --json, batches of 1,000 over a
// large generated file, and the files that cannot be read at all.
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { engines, useWorkspace, type Workspace } from '../helpers/engines.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/events/', import.meta.url));
const ENGINES = await engines();

interface Stored {
  id: string;
  event: string;
  ts: string;
  attributes: Record<string, unknown>;
  value: number | null;
  properties: Record<string, unknown> | null;
}

async function stored(w: Workspace): Promise<Stored[]> {
  const rows = await w.sql<Stored & { ts: Date | string }>('SELECT id, event, ts, attributes, value, properties FROM labctl.events ORDER BY id');
  return rows.map((r) => ({ ...r, ts: new Date(r.ts).toISOString(), value: r.value === null ? null : Number(r.value) }));
}

/** The "line N code" pairs of the rejected-rows list in the text output. */
function rejectedLines(stdout: string): Array<[number, string]> {
  return [...stdout.matchAll(/^ {2}line (\d+)\s+(\S+)\s/gm)].map((m) => [Number(m[1]), m[2]!]);
}

function fixture(w: Workspace, name: string): string {
  copyFileSync(join(FIXTURES, name), join(w.dir, name));
  return name;
}

describe.each(ENGINES)('labctl events import ($name)', ({ name, available }) => {
  const workspace = useWorkspace(name, available, { samples: false, state: 'migrated' });

  it('JSON lines: reports the bad rows by line and code, exits 1, stores the good ones; a second import adds nothing', async () => {
    const w = workspace();
    const file = fixture(w, 'mixed.jsonl');
    const r = await w.cli(['events', 'import', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/7 rows read: 3 accepted, 0 duplicates, 4 rejected/);
    expect(rejectedLines(r.stdout)).toEqual([
      [3, 'invalid_json'],
      [4, 'missing_id'],
      [6, 'future_timestamp'],
      [7, 'invalid_value'],
    ]);
    expect(r.stderr).toContain('error: 4 of 7 rows rejected; the other 3 are stored (3 new, 0 already there)');
    expect(r.stderr).toContain('hint: fix the rejected lines and import the file again');

    expect(await stored(w)).toEqual([
      { id: 'imp-1', event: 'checkout_completed', ts: '2026-11-20T10:00:00.000Z', attributes: { user_id: 'u1', country: 'NL' }, value: 42.5, properties: { currency: 'EUR' } },
      { id: 'imp-2', event: 'checkout_completed', ts: '2026-11-21T11:30:00.000Z', attributes: { user_id: 'u2' }, value: null, properties: null },
      // June 2025: a month no partition existed for until this import.
      { id: 'imp-8', event: 'search_click', ts: '2025-06-15T08:00:00.000Z', attributes: { user_id: 'u8' }, value: 3, properties: null },
    ]);

    const again = await w.cli(['events', 'import', file]);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/7 rows read: 0 accepted, 3 duplicates, 4 rejected/);
    expect(rejectedLines(again.stdout)).toEqual(rejectedLines(r.stdout));
    expect((await stored(w)).map((e) => e.id)).toEqual(['imp-1', 'imp-2', 'imp-8']);
  });

  it('CSV: attributes.X columns, a JSON properties column, a quoted field over two lines; exact line numbers', async () => {
    const w = workspace();
    const file = fixture(w, 'mixed.csv');
    const r = await w.cli(['events', 'import', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/7 rows read: 3 accepted, 0 duplicates, 4 rejected/);
    // Line 3 holds a record that ends on line 4, so the next record starts on line 5.
    expect(rejectedLines(r.stdout)).toEqual([
      [5, 'missing_id'],
      [6, 'future_timestamp'],
      [7, 'invalid_value'],
      [8, 'invalid_json'],
    ]);
    expect(r.stdout).toMatch(/line 8 +invalid_json +column properties is not JSON/);
    expect(await stored(w)).toEqual([
      { id: 'csv-1', event: 'checkout_completed', ts: '2026-11-20T10:00:00.000Z', attributes: { user_id: 'u1', country: 'NL' }, value: 42.5, properties: { currency: 'EUR' } },
      { id: 'csv-2', event: 'checkout_completed', ts: '2026-11-21T11:30:00.000Z', attributes: { user_id: 'u2' }, value: null, properties: { note: 'spans two lines' } },
      { id: 'csv-9', event: 'search_click', ts: '2025-06-15T08:00:00.000Z', attributes: { user_id: 'u9', country: 'BE' }, value: 3, properties: null },
    ]);
    const again = await w.cli(['events', 'import', file, '--json']);
    expect(again.code).toBe(1);
    const summary = JSON.parse(again.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ file, format: 'csv', rows: 7, accepted: 0, duplicates: 3, rejected: 4, rejectionsOmitted: 0 });
    expect((summary.rejections as Array<{ line: number; code: string }>).map((x) => [x.line, x.code])).toEqual(rejectedLines(r.stdout));
  });

  it('clean files exit 0, and importing them again stores nothing new and still exits 0', async () => {
    const w = workspace();
    for (const file of [fixture(w, 'clean.jsonl'), fixture(w, 'clean.csv')]) {
      const first = await w.cli(['events', 'import', file, '--json']);
      expect(first.code).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({ rows: 3, accepted: 3, duplicates: 0, rejected: 0, rejections: [] });
      const second = await w.cli(['events', 'import', file]);
      expect(second.code).toBe(0);
      expect(second.stdout).toMatch(/3 rows read: 0 accepted, 3 duplicates, 0 rejected\.\n$/);
      expect(second.stderr).toBe('');
    }
    const csv = (await stored(w)).find((e) => e.id === 'clean-csv-1');
    // The attributes JSON column and a properties.X column, cells kept as strings.
    expect(csv).toMatchObject({ attributes: { user_id: 'u1', plan: 'pro' }, properties: { currency: 'EUR' }, value: 19.99 });
    expect(await stored(w)).toHaveLength(6);
  });

  it('a file of more than two batches is stored whole, and at most 20 rejected rows are listed', async () => {
    const w = workspace();
    const lines: string[] = [];
    for (let i = 1; i <= 2600; i++) {
      // Every 100th line has no id: 26 rejected rows.
      const id = i % 100 === 0 ? undefined : `big-${i}`;
      lines.push(JSON.stringify({ id, event: 'page_view', attributes: { user_id: `u${i % 97}` }, timestamp: new Date(Date.parse('2026-11-01T00:00:00Z') + i * 60_000).toISOString() }));
    }
    writeFileSync(join(w.dir, 'big.ndjson'), lines.join('\n') + '\n');
    const r = await w.cli(['events', 'import', 'big.ndjson']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/2,600 rows read: 2,574 accepted, 0 duplicates, 26 rejected/);
    const listed = rejectedLines(r.stdout);
    expect(listed).toHaveLength(20);
    expect(listed[0]).toEqual([100, 'missing_id']);
    expect(listed[19]).toEqual([2000, 'missing_id']);
    expect(r.stdout).toContain('  … and 6 more');
    const [{ n }] = await w.sql<{ n: string }>('SELECT count(*) AS n FROM labctl.events');
    expect(Number(n)).toBe(2574);
    // Progress lines (at most one a second) only ever on stderr.
    expect(r.stdout).not.toContain('events import:');
  });

  it('a file that cannot be read: a one-line error with a hint; rows before a CSV syntax error are stored', async () => {
    const w = workspace();
    const missing = await w.cli(['events', 'import', 'nope.jsonl']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: cannot read nope\.jsonl: no such file\n {2}hint: pass a \.jsonl file/);
    const unknown = await w.cli(['events', 'import', 'events.txt']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('error: cannot tell the format of events.txt from its name');
    expect(unknown.stderr).toContain('hint: pass --format jsonl or --format csv');
    w.write('typo.csv', 'id,evnt,timestamp\nx,y,2026-11-01\n');
    const header = await w.cli(['events', 'import', 'typo.csv']);
    expect(header.code).toBe(1);
    expect(header.stderr).toContain('error: typo.csv:1: CSV header: unknown column "evnt" (column 2)');
    w.write('broken.csv', 'id,event,attributes.user_id\nok-1,signup,u1\nok-2,"signup"x,u2\nok-3,signup,u3\n');
    const broken = await w.cli(['events', 'import', 'broken.csv']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('error: broken.csv:3: CSV syntax error: Invalid Closing Quote: got "x" at line 3');
    expect(broken.stderr).toContain('hint: fix the file and import it again: the rows stored now come back as duplicates');
    expect(broken.stderr).toContain('the rows before it were processed: 1 row read: 1 accepted, 0 duplicates, 0 rejected');
    expect((await stored(w)).map((e) => e.id)).toEqual(['ok-1']);
    // --format overrides the extension.
    w.write('events.txt', '{"id":"txt-1","event":"signup","attributes":{"user_id":"u1"},"timestamp":"2026-11-02T00:00:00Z"}\n');
    const forced = await w.cli(['events', 'import', 'events.txt', '--format', 'jsonl']);
    expect(forced.code).toBe(0);
    expect((await stored(w)).map((e) => e.id)).toEqual(['ok-1', 'txt-1']);
  });
});
