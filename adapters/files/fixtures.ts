import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { ScriptedFixture } from '../llm/scripted.js';

/** Where the scripted provider's answers live, next to the specs: one or more YAML files of fixtures. */
export const FIXTURES_FOLDER = 'fixtures';

/** A fixtures file that is not a list of fixtures: the file, the entry and what is wrong. */
export class FixtureFileError extends Error {
  constructor(message: string, readonly hint: string) {
    super(message);
    this.name = 'FixtureFileError';
  }
}

const FIELDS = new Set(['when', 'text', 'output']);
const WHEN = new Set(['prompt', 'input']);

function check(file: string, i: number, f: unknown): ScriptedFixture {
  const at = `${file}: fixture ${i + 1}`;
  const hint = 'a fixture is { when: { prompt: NAME, input: TEXT }, text: ANSWER } or { when: …, output: { slot: value } }';
  if (typeof f !== 'object' || f === null || Array.isArray(f)) throw new FixtureFileError(`${at} is not a mapping`, hint);
  const o = f as Record<string, unknown>;
  const extra = Object.keys(o).filter((k) => !FIELDS.has(k));
  if (extra.length) throw new FixtureFileError(`${at} has unknown field "${extra[0]}"`, hint);
  if (o.text === undefined && o.output === undefined) throw new FixtureFileError(`${at} has neither text nor output`, hint);
  if (o.text !== undefined && typeof o.text !== 'string') throw new FixtureFileError(`${at}: text must be a string`, hint);
  if (o.output !== undefined && (typeof o.output !== 'object' || o.output === null || Array.isArray(o.output))) throw new FixtureFileError(`${at}: output must be a mapping of slots to values`, hint);
  if (o.when !== undefined) {
    const w = o.when as Record<string, unknown>;
    if (typeof w !== 'object' || w === null || Array.isArray(w) || Object.keys(w).some((k) => !WHEN.has(k)) || Object.values(w).some((v) => typeof v !== 'string')) {
      throw new FixtureFileError(`${at}: when takes prompt and input, both strings`, hint);
    }
  }
  return o as ScriptedFixture;
}

/** Every fixture under DIR/fixtures (*.yaml, *.yml, *.json, in name order); none when the folder is absent. */
export function loadFixtures(dir: string): ScriptedFixture[] {
  const folder = join(dir, FIXTURES_FOLDER);
  if (!existsSync(folder)) return [];
  const out: ScriptedFixture[] = [];
  for (const name of readdirSync(folder).filter((n) => /\.(ya?ml|json)$/.test(n)).sort()) {
    const file = join(FIXTURES_FOLDER, name);
    let doc: unknown;
    try {
      doc = yaml.load(readFileSync(join(folder, name), 'utf8'));
    } catch (e) {
      throw new FixtureFileError(`${file}: ${(e as Error).message.split('\n')[0]}`, 'fix the YAML syntax');
    }
    if (doc === undefined || doc === null) continue;
    if (!Array.isArray(doc)) throw new FixtureFileError(`${file} is not a list of fixtures`, 'start each fixture with "- when: …"');
    doc.forEach((f, i) => out.push(check(file, i, f)));
  }
  return out;
}
