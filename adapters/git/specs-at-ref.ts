import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { simpleGit } from 'simple-git';
import { isSpecFilePath, parseIgnore, specRoots } from '../files/spec-files.js';
import type { SpecFile } from '../../core/types.js';

/** A git ref that cannot be read (unknown ref, not a repository). */
export class GitRefError extends Error {
  constructor(message: string, readonly hint: string) {
    super(message);
    this.name = 'GitRefError';
  }
}

/** Read many blobs through one `git cat-file --batch` process (one spawn, not one per file). */
function catBlobs(repoRoot: string, shas: readonly string[]): Promise<Map<string, Buffer>> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('git', ['cat-file', '--batch'], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`git cat-file failed: ${stderr.trim()}`));
      const out = Buffer.concat(chunks);
      const blobs = new Map<string, Buffer>();
      let pos = 0;
      for (const sha of shas) {
        const nl = out.indexOf(0x0a, pos);
        const header = out.subarray(pos, nl).toString();
        const [, type, size] = header.split(' ');
        if (type !== 'blob') return reject(new Error(`git cat-file: unexpected answer "${header}" for ${sha}`));
        const start = nl + 1;
        blobs.set(sha, out.subarray(start, start + Number(size)));
        pos = start + Number(size) + 1;
      }
      resolvePromise(blobs);
    });
    child.stdin.end(shas.join('\n') + '\n');
  });
}

/**
 * The spec files of dir as they are at a git ref, read from the object database (no checkout), so a
 * pull request can be planned against its base with no database and no credentials.
 */
export async function readSpecsAtRef(dir: string, ref: string): Promise<{ files: SpecFile[]; commit: string }> {
  const abs = resolve(dir);
  // The directory need not exist on disk (a clone without a checkout): run git from its nearest existing ancestor.
  let cwd = abs;
  while (!existsSync(cwd) && dirname(cwd) !== cwd) cwd = dirname(cwd);
  const git = simpleGit({ baseDir: cwd });
  let root: string;
  try {
    root = (await git.revparse(['--show-toplevel'])).trim();
  } catch {
    throw new GitRefError(`${abs} is not inside a git repository`, '--base needs a git checkout');
  }
  let commit: string;
  try {
    commit = (await git.revparse(['--verify', '--quiet', `${ref}^{commit}`])).trim();
  } catch {
    commit = '';
  }
  if (!commit) throw new GitRefError(`unknown git ref "${ref}"`, 'fetch it first (e.g. git fetch origin main) or pass a commit SHA');
  const prefix = relative(root, abs).split(sep).join('/');
  const listing = await git.raw(['ls-tree', '--full-tree', '-r', '-z', commit, '--', prefix === '' ? '.' : prefix]);
  const entries = listing
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const tab = line.indexOf('\t');
      const [mode, type, sha] = line.slice(0, tab).split(' ') as [string, string, string];
      const full = line.slice(tab + 1);
      return { mode, type, sha, rel: prefix === '' ? full : full.slice(prefix.length + 1) };
    })
    .filter((e) => e.type === 'blob');
  const ignoreEntry = entries.find((e) => e.rel === '.labctlignore');
  const wanted = entries.filter((e) => e.mode !== '120000');
  const shas = [...new Set([...(ignoreEntry ? [ignoreEntry.sha] : []), ...wanted.map((e) => e.sha)])];
  const blobs = shas.length ? await catBlobs(root, shas) : new Map<string, Buffer>();
  const ignore = ignoreEntry ? parseIgnore(blobs.get(ignoreEntry.sha)!.toString('utf8')) : [];
  const roots = specRoots(wanted.map((e) => e.rel.split('/')).filter((p) => p.length > 1).map((p) => p[0]!));
  const files = wanted
    .filter((e) => isSpecFilePath(e.rel, ignore, roots))
    .sort((a, b) => (a.rel < b.rel ? -1 : 1))
    .map((e) => ({ path: e.rel, bytes: blobs.get(e.sha) }));
  return { files, commit };
}
