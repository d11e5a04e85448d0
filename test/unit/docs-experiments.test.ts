// Every YAML example of docs/experiments.md validates: whole documents as they are, and the
// fragments (metrics, analysis, decision) merged into the page's worked example.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { SpecLoader } from '../../reconciler/load/index.js';

const PAGE = readFileSync(fileURLToPath(new URL('../../docs/experiments.md', import.meta.url)), 'utf8');
const BLOCKS = [...PAGE.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

function load(text: string) {
  return new SpecLoader().load([{ path: 'experiments/example.yaml', bytes: Buffer.from(text) }]);
}

const whole = BLOCKS.filter((b) => /^kind:/m.test(b));
const fragments = BLOCKS.filter((b) => !/^kind:/m.test(b));
const worked = whole[whole.length - 1]!;

describe('docs/experiments.md examples', () => {
  it('has whole examples and fragments', () => {
    expect(whole.length).toBeGreaterThanOrEqual(2);
    expect(fragments.length).toBeGreaterThanOrEqual(3);
  });

  for (const [i, block] of whole.entries()) {
    it(`whole example ${i + 1} validates`, () => {
      // The metrics example is checked together with the worked example that uses its names.
      const r = load(i === whole.length - 1 ? block : `${block}\n---\n${worked.replace(/kind: Metric[\s\S]*$/, '').replace(/---\s*$/, '')}`);
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    });
  }

  for (const [i, block] of fragments.entries()) {
    it(`fragment ${i + 1} validates inside the worked example`, () => {
      const docs = parseAllDocuments(worked).map((d) => d.toJS() as Record<string, unknown>);
      const fragment = parseAllDocuments(block)[0]!.toJS() as Record<string, unknown>;
      const exp = docs.find((d) => d.kind === 'Experiment')!;
      Object.assign(exp, fragment);
      // A fragment may name metrics of the Metric example; declare them all.
      const metrics = parseAllDocuments(whole[0]!).map((d) => d.toJS() as Record<string, unknown>);
      const all = [exp, ...metrics, ...docs.filter((d) => d.kind === 'Metric' && !metrics.some((m) => m.name === d.name))];
      const r = load(all.map((d) => stringify(d)).join('---\n'));
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    });
  }
});
