import { readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { SpecFile } from '../../core/types.js';
import { MAX_DATASET_BYTES, parseDataset, type Dataset } from '../../engine/evaluation/dataset.js';
import { formatOfName, type DatasetFormat } from '../../engine/evaluation/spec.js';

/**
 * Local evaluation datasets: JSON lines or CSV files in the repository, read whole into rows (each
 * with its line and a key digest of its content) and the SHA-256 of the file's bytes. The parsing
 * is engine/evaluation/dataset.ts's, shared with the validator and with datasets from S3.
 */

/** A dataset file that cannot be used; `line` is where in the file, when the problem is inside it. */
export class DatasetFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
    readonly hint: string,
    readonly line?: number,
  ) {
    super(line === undefined ? `${file}: ${message}` : `${file}:${line}: ${message}`);
    this.name = 'DatasetFileError';
  }
}

const TOO_LARGE = `larger than ${MAX_DATASET_BYTES / 1024 / 1024} MiB; keep large datasets in object storage (uri: s3://…)`;

/** Why a file could not be read, in words a person can act on. */
function readError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return 'the file (or the target of its symlink) does not exist';
  if (err.code === 'EISDIR') return 'it is a directory';
  if (err.code === 'EACCES') return 'permission denied';
  return err.message;
}

/**
 * The files the specs under dir refer to, read for the spec loader's rules (paths relative to dir,
 * with `/`). A path that leaves dir is refused, so validation reads nothing outside the specs.
 */
export function specDirFileReader(dir: string): (path: string) => SpecFile {
  const root = resolve(dir);
  return (path) => {
    const abs = resolve(root, path);
    const rel = relative(root, abs);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return { path, error: 'the path leaves the spec directory' };
    try {
      if (statSync(abs).size > MAX_DATASET_BYTES) return { path, error: `the file is ${TOO_LARGE}` };
      return { path, bytes: readFileSync(abs) };
    } catch (e) {
      return { path, error: readError(e) };
    }
  };
}

/** Read a local dataset (format from its name unless given); DatasetFileError names the file and line. */
export async function readDatasetFile(dir: string, path: string, format?: DatasetFormat): Promise<Dataset> {
  const as = format ?? formatOfName(path);
  if (!as) throw new DatasetFileError(path, 'the format is not known from the file name', 'name the file .jsonl or .csv, or give format: jsonl (or csv)');
  const abs = join(dir, path);
  let bytes: Buffer;
  try {
    if ((await stat(abs)).size > MAX_DATASET_BYTES) throw new DatasetFileError(path, `the file is ${TOO_LARGE}`, 'move the dataset to S3 and write dataset: { uri: s3://bucket/key }');
    bytes = await readFile(abs);
  } catch (e) {
    if (e instanceof DatasetFileError) throw e;
    throw new DatasetFileError(path, `cannot read the dataset: ${readError(e)}`, 'check the path (relative to the spec file) and that the file is readable');
  }
  const parsed = parseDataset(bytes, as);
  if (!parsed.ok) throw new DatasetFileError(path, parsed.problem.message, parsed.problem.hint, parsed.problem.line);
  return parsed.dataset;
}
