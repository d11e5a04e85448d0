import { resolve } from 'node:path';
import { stateRevision } from '../../core/diff.js';
import { specHash } from '../../core/hash.js';
import type { Diagnostic } from '../../core/types.js';
import { buildSnapshot, type Snapshot } from '../../engine/assignment/snapshot.js';
import { readSpecDir } from './index.js';
import { SpecLoader } from './validate.js';

/** The specs in a directory do not validate; carries the diagnostics. */
export class SpecsInvalidError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    const first = diagnostics.find((d) => d.severity === 'error');
    super(`specs are invalid (${diagnostics.filter((d) => d.severity === 'error').length} errors)${first ? `; first: ${first.range ? `${first.range.filename}:${first.range.start.line}: ` : ''}${first.summary}` : ''}`);
    this.name = 'SpecsInvalidError';
  }
}

/** A snapshot of the validated YAML in dir, without any database (docs/runtime.md#library). */
export async function snapshotFromDir(dir: string, loader: SpecLoader = new SpecLoader()): Promise<Snapshot> {
  const state = loader.load(await readSpecDir(resolve(dir)));
  if (state.diagnostics.some((d) => d.severity === 'error')) throw new SpecsInvalidError(state.diagnostics);
  const revision = stateRevision(state.resources.map((r) => ({ kind: r.kind, name: r.name, hash: specHash(r.spec) })));
  return buildSnapshot(state.resources, revision);
}

