import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** One case of the bad-input corpus: its directory, and the corpus root it sits in. */
export interface CorpusCase {
  name: string;
  dir: string;
  root: string;
}

/**
 * The corpus roots: loader-level cases (YAML, headers, unknown kinds) in test/fixtures/invalid/,
 * and each kind's own cases in kinds/<kind>/invalid/, next to the rules they exercise.
 */
export function corpusRoots(): string[] {
  const kinds = readdirSync(join(ROOT, 'kinds'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(ROOT, 'kinds', e.name, 'invalid')))
    .map((e) => join(ROOT, 'kinds', e.name, 'invalid'));
  return [join(ROOT, 'test', 'fixtures', 'invalid'), ...kinds.sort()];
}

/** Every static case, sorted by name (names are unique across roots). */
export function corpusCases(): CorpusCase[] {
  return corpusRoots()
    .flatMap((root) => readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => ({ name: e.name, dir: join(root, e.name), root })))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** One case by name. */
export function corpusCase(name: string): CorpusCase {
  const c = corpusCases().find((x) => x.name === name);
  if (!c) throw new Error(`no bad-input case named ${name}`);
  return c;
}
