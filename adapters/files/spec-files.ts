import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

const SKIPPED_DIRS = new Set(['node_modules', '.git', 'dist', '.labctl']);

/** Patterns of a `.labctlignore`: one path per line relative to the spec directory, `#` comments, `*` wildcards. */
export function parseIgnore(text: string): RegExp[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const body = l.replace(/^\/+|\/+$/g, '').split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*');
      return new RegExp(`^${body}(/.*)?$`);
    });
}

/** The `.labctlignore` of a directory, if any. */
export async function readIgnore(dir: string): Promise<RegExp[]> {
  try {
    return parseIgnore(await readFile(join(dir, '.labctlignore'), 'utf8'));
  } catch {
    return [];
  }
}

/** Whether a path (relative to the spec directory, with `/`) is a spec file labctl reads. */
export function isSpecFilePath(rel: string, ignore: readonly RegExp[]): boolean {
  const parts = rel.split('/');
  const name = parts[parts.length - 1]!;
  if (parts.slice(0, -1).some((d) => SKIPPED_DIRS.has(d) || d.startsWith('.'))) return false;
  if (!/\.ya?ml$/i.test(name) || name.startsWith('.')) return false;
  return !ignore.some((re) => re.test(rel));
}

/** Every *.yaml / *.yml under dir (sorted, paths relative to dir with `/`), skipping tool and hidden directories. */
export async function findSpecFiles(dir: string): Promise<string[]> {
  const ignore = await readIgnore(dir);
  const out: string[] = [];
  const walk = async (current: string): Promise<void> => {
    const entries = await readdir(current, { withFileTypes: true });
    for (const e of entries) {
      const abs = join(current, e.name);
      const rel = relative(dir, abs).split(sep).join('/');
      if (ignore.some((re) => re.test(rel))) continue;
      if (e.isDirectory()) {
        if (SKIPPED_DIRS.has(e.name) || e.name.startsWith('.')) continue;
        await walk(abs);
      } else if (isSpecFilePath(rel, ignore)) {
        out.push(rel);
      }
    }
  };
  await walk(dir);
  return out.sort();
}
