import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, type CliResult } from '../helpers/cli.js';
import { corpusCase, corpusCases } from '../helpers/corpus.js';

/**
 * The bad-input corpus: every case under test/fixtures/invalid/<case>/ and kinds/<kind>/invalid/<case>/ is a small spec tree with
 * exactly one intended problem and an expected.json naming the diagnostic code, file and line
 * (optionally column, a hint or summary fragment, and further positions under "also").
 * Cases that cannot be committed as static files are generated below into a temp directory.
 */

interface Position {
  code: string;
  file: string;
  line: number;
  column?: number;
  /** Fragment the diagnostic's hint must contain. */
  hint?: string;
  /** Fragment the diagnostic's summary must contain. */
  summary?: string;
  /** Fragment the diagnostic's detail must contain. */
  detail?: string;
}

interface Expected extends Position {
  /** Further diagnostics that must be reported too (e.g. both sides of a duplicate). */
  also?: Position[];
}

interface JsonDiagnostic {
  severity: string;
  code: string;
  summary: string;
  detail: string;
  hint?: string;
  path?: string;
  range?: { filename: string; start: { line: number; column: number }; end: { line: number; column: number } };
}

interface JsonOutput {
  valid: boolean;
  error_count: number;
  warning_count: number;
  diagnostics: JsonDiagnostic[];
}

// Loader-level cases live in test/fixtures/invalid/, each kind's own in kinds/<kind>/invalid/.
const staticCases = corpusCases();

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

// ---- generated cases -------------------------------------------------------------------------

const tmpRoot = mkdtempSync(join(tmpdir(), 'labctl-invalid-'));
afterAll(() => {
  // Give the unreadable file its permissions back so the temp tree can be removed.
  const locked = join(tmpRoot, 'unreadable-permissions', 'experiments', 'checkout.yaml');
  if (existsSync(locked)) chmodSync(locked, 0o644);
  rmSync(tmpRoot, { recursive: true, force: true });
});

const VALID_EXPERIMENT = `kind: Experiment
name: checkout-button
status: running
variants:
  - key: control
    weight: 50
  - key: green
    weight: 50
`;

/** A temp case holding a valid experiment next to whatever setup() adds. */
function generated(name: string, setup: (dir: string) => void, expected: Expected): { name: string; dir: string; expected: Expected } {
  const dir = join(tmpRoot, name);
  mkdirSync(join(dir, 'experiments'), { recursive: true });
  cpSync(join(corpusCase('zero-weight').dir, 'experiments', 'layers.yaml'), join(dir, 'experiments', 'layers.yaml'));
  writeFileSync(join(dir, 'experiments', 'valid.yaml'), VALID_EXPERIMENT.replace('checkout-button', 'valid-one'));
  setup(dir);
  writeFileSync(join(dir, 'expected.json'), JSON.stringify(expected));
  return { name, dir, expected };
}

const generatedCases = [
  // Bytes that are not UTF-8 (Latin-1 "é" in a description on line 3).
  generated(
    'non-utf8-bytes',
    (dir) =>
      writeFileSync(
        join(dir, 'experiments', 'checkout.yaml'),
        Buffer.concat([Buffer.from('kind: Experiment\nname: checkout-button\ndescription: caf'), Buffer.from([0xe9]), Buffer.from('\nvariants: []\n')]),
      ),
    { code: 'invalid-encoding', file: 'experiments/checkout.yaml', line: 3, column: 17 },
  ),
  // A 5 MB file: refused before parsing (valid YAML, padded with a long description).
  generated(
    'five-megabyte-file',
    (dir) => writeFileSync(join(dir, 'experiments', 'checkout.yaml'), VALID_EXPERIMENT + `description: "${'x'.repeat(5 * 1000 * 1000)}"\n`),
    { code: 'file-too-large', file: 'experiments/checkout.yaml', line: 1, column: 1, hint: 'split' },
  ),
  // Nesting deep enough to exhaust the parser's stack (40 kB of brackets on line 7).
  generated(
    'deep-nesting',
    (dir) =>
      writeFileSync(
        join(dir, 'experiments', 'checkout.yaml'),
        `kind: Experiment\nname: checkout-button\nvariants:\n  - key: control\n    weight: 1\n  - key: deep\n    value: ${'['.repeat(20000)}${']'.repeat(20000)}\n    weight: 1\n`,
      ),
    { code: 'yaml-too-deep', file: 'experiments/checkout.yaml', line: 7 },
  ),
  // Tests run as root, where chmod 000 does not stop reading: a dangling symlink is unreadable for everyone.
  generated('unreadable-dangling-symlink', (dir) => symlinkSync('missing-target.yaml', join(dir, 'experiments', 'checkout.yaml')), {
    code: 'unreadable-file',
    file: 'experiments/checkout.yaml',
    line: 1,
    column: 1,
    summary: 'does not exist',
  }),
  ...(isRoot
    ? []
    : [
        generated(
          'unreadable-permissions',
          (dir) => {
            const p = join(dir, 'experiments', 'checkout.yaml');
            writeFileSync(p, VALID_EXPERIMENT);
            chmodSync(p, 0o000);
          },
          { code: 'unreadable-file', file: 'experiments/checkout.yaml', line: 1, column: 1, summary: 'permission denied' },
        ),
      ]),
];

const allCases: Array<{ name: string; dir: string; expected: Expected }> = [
  ...staticCases.map(({ name, dir }) => ({ name, dir, expected: JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected })),
  ...generatedCases,
];

// ---- assertions ------------------------------------------------------------------------------

/** No stack frames and no raw exception text in anything the CLI printed. */
function expectNoStackTrace(r: CliResult): void {
  const out = r.stdout + r.stderr;
  expect(out).not.toMatch(/^\s+at\s+\S+/m);
  expect(out).not.toMatch(/\b[A-Za-z]*Error(?:\s\[[A-Z_]+\])?:/);
  expect(out).not.toMatch(/internal error/i);
  expect(out).not.toMatch(/node:internal|file:\/\/\//);
}

function describeDiagnostics(ds: JsonDiagnostic[]): string {
  return ds.map((d) => `${d.code} ${d.range?.filename}:${d.range?.start.line}:${d.range?.start.column} ${d.summary} (hint: ${d.hint})`).join('\n');
}

function expectPosition(ds: JsonDiagnostic[], want: Position): void {
  const match = ds.find(
    (d) =>
      d.code === want.code &&
      d.range?.filename === want.file &&
      d.range.start.line === want.line &&
      (want.column === undefined || d.range.start.column === want.column),
  );
  expect(match, `expected ${want.code} at ${want.file}:${want.line}${want.column ? `:${want.column}` : ''}; got:\n${describeDiagnostics(ds)}`).toBeDefined();
  if (want.hint) expect(match!.hint).toContain(want.hint);
  if (want.summary) expect(match!.summary).toContain(want.summary);
  if (want.detail) expect(match!.detail).toContain(want.detail);
}

describe('invalid corpus', () => {
  it('holds at least 28 static cases, every one with an expected.json, no name twice across the roots', () => {
    expect(staticCases.length).toBeGreaterThanOrEqual(28);
    for (const c of staticCases) expect(existsSync(join(c.dir, 'expected.json')), c.name).toBe(true);
    expect(new Set(staticCases.map((c) => c.name)).size).toBe(staticCases.length);
  });

  it.each(allCases)('$name: exit 1 with a positioned, hinted diagnostic and no stack trace', async ({ dir, expected }) => {
    const json = await cli(['validate', '--dir', dir, '--format', 'json'], { cwd: dir });
    expect(json.code, json.stderr).toBe(1);
    expect(json.stderr).toBe('');
    expectNoStackTrace(json);
    const out = JSON.parse(json.stdout) as JsonOutput;
    expect(out.valid).toBe(false);
    expect(out.error_count).toBeGreaterThan(0);
    expect(out.diagnostics.length).toBe(out.error_count + out.warning_count);
    for (const want of [expected, ...(expected.also ?? [])]) expectPosition(out.diagnostics, want);
    for (const d of out.diagnostics) {
      expect(d.hint, `${d.code} has no hint`).toMatch(/\S/);
      expect(d.hint).not.toContain('\n');
      expect(d.summary).not.toContain('\n');
      expect(d.range, `${d.code} has no position`).toBeDefined();
      expect(d.range!.start.line).toBeGreaterThanOrEqual(1);
      expect(d.range!.start.column).toBeGreaterThanOrEqual(1);
    }

    const text = await cli(['validate', '--dir', dir], { cwd: dir });
    expect(text.code).toBe(1);
    expectNoStackTrace(text);
    const at = `${expected.file}:${expected.line}:${expected.column ?? ''}`;
    expect(text.stdout).toContain(`error[${expected.code}]`);
    expect(text.stdout).toContain(`--> ${at}`);
    expect(text.stdout).toContain('hint:');
  });

  it('--format github annotates the file and line of the problem', async () => {
    const r = await cli(['validate', '--dir', 'zero-weight', '--format', 'github'], { cwd: corpusCase('zero-weight').root });
    expect(r.code).toBe(1);
    expectNoStackTrace(r);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    // Paths are relative to the repository root, as GitHub expects.
    expect(lines[0]).toMatch(/^::error file=kinds\/experiment\/invalid\/zero-weight\/experiments\/checkout\.yaml,line=9,col=13,/);
    expect(lines[0]).toContain('title=labctl out-of-range');
    expect(lines[0]).toContain('hint: ');
  });

  it('--format github reports both files of a duplicate across files', async () => {
    const r = await cli(['validate', '--dir', 'duplicate-name-two-files', '--format', 'github'], { cwd: corpusCase('duplicate-name-two-files').root });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^::error file=test\/fixtures\/invalid\/duplicate-name-two-files\/experiments\/a\.yaml,line=2,/m);
    expect(r.stdout).toMatch(/^::error file=test\/fixtures\/invalid\/duplicate-name-two-files\/experiments\/b\.yaml,line=3,/m);
  });
});
