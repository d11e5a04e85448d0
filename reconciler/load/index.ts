import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findSpecFiles } from '../../adapters/files/spec-files.js';
import type { SpecFile } from './validate.js';

export { SpecLoader, type DesiredState, type SpecFile, ruleContext, sortDiagnostics } from './validate.js';
export { findSpecFiles, parseIgnore, isSpecFilePath } from '../../adapters/files/spec-files.js';
export { readSpecsAtRef, GitRefError } from '../../adapters/git/specs-at-ref.js';
export { locate, toPointer, fromPointer } from './locate.js';

/** Read every spec file under dir; unreadable files carry their error instead of bytes. */
export async function readSpecDir(dir: string): Promise<SpecFile[]> {
  const paths = await findSpecFiles(dir);
  return Promise.all(
    paths.map(async (path): Promise<SpecFile> => {
      try {
        return { path, bytes: await readFile(join(dir, path)) };
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        return { path, error: err.code === 'ENOENT' ? 'the file (or the target of its symlink) does not exist' : err.code === 'EACCES' ? 'permission denied' : err.message };
      }
    }),
  );
}
