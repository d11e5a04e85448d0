// A broken scripted-fixtures file stops `labctl chat` (and serve) before any conversation, with the
// file, the fixture and a hint; the rules of the format in adapters/files/fixtures.ts.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixtureFileError, loadFixtures } from '../../adapters/files/fixtures.js';
import { assertFreshBuild } from '../helpers/build.js';
import { cli } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('scripted fixtures files', () => {
  let dir: string;
  beforeAll(() => {
    assertFreshBuild();
    dir = mkdtempSync(join(tmpdir(), 'labctl-fixtures-'));
    for (const f of ['flows', 'prompts', 'fixtures']) cpSync(join(ROOT, f), join(dir, f), { recursive: true });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the sample fixtures load, in file order', () => {
    const fixtures = loadFixtures(dir);
    expect(fixtures.length).toBeGreaterThanOrEqual(3);
    expect(fixtures[0]).toMatchObject({ when: { prompt: 'refund-decision' } });
  });

  it.each([
    ['not a list', 'when: { prompt: x }\ntext: hi\n', /fixtures\/zz\.yaml is not a list of fixtures/],
    ['an unknown field', '- { when: { prompt: x }, answer: hi }\n', /fixtures\/zz\.yaml: fixture 1 has unknown field "answer"/],
    ['neither text nor output', '- { when: { prompt: x } }\n', /fixture 1 has neither text nor output/],
    ['a when with another key', '- { when: { promt: x }, text: hi }\n', /when takes prompt and input, both strings/],
    ['broken YAML', '- { when: [\n', /fixtures\/zz\.yaml: /],
  ])('refuses %s, naming the file and the fixture', (_, text, message) => {
    writeFileSync(join(dir, 'fixtures', 'zz.yaml'), text);
    expect(() => loadFixtures(dir)).toThrow(FixtureFileError);
    expect(() => loadFixtures(dir)).toThrow(message);
  });

  it('labctl chat stops at a broken file with the reason and a hint, exit 1', async () => {
    writeFileSync(join(dir, 'fixtures', 'zz.yaml'), '- { when: { prompt: x }, answer: hi }\n');
    const r = await cli(['chat', 'refund-request'], { cwd: dir, env: { NO_COLOR: '1' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: fixtures/zz.yaml: fixture 1 has unknown field "answer"');
    expect(r.stderr).toContain('hint: a fixture is { when:');
  });
});
