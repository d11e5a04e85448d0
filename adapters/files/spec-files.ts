import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

const SKIPPED_DIRS = new Set(['node_modules', '.git', 'dist', '.labctl']);

/**
 * The folders labctl's specs conventionally live in. When a spec directory has any of them (the
 * root of an application repository usually does), only they are read, so the repository's other
 * YAML (compose files, CI workflows, Helm values, Kubernetes manifests) is never mistaken for specs.
 */
export const SPEC_FOLDERS = ['experiments', 'prompts', 'flows', 'models', 'evaluations', 'dashboards', 'metrics'] as const;

/** The conventional folders among a directory's top-level folder names, or undefined when none is there (read everything). */
export function specRoots(topLevelDirs: Iterable<string>): string[] | undefined {
  const present = new Set(topLevelDirs);
  const roots = SPEC_FOLDERS.filter((f) => present.has(f));
  return roots.length > 0 ? roots : undefined;
}

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

/** The conventional folders present directly under dir, or undefined (read everything). */
export async function specRootsIn(dir: string): Promise<string[] | undefined> {
  const top = await readdir(dir, { withFileTypes: true });
  return specRoots(top.filter((e) => e.isDirectory()).map((e) => e.name));
}

/** Whether a path (relative to the spec directory, with `/`) is a spec file labctl reads; roots: from specRoots. */
export function isSpecFilePath(rel: string, ignore: readonly RegExp[], roots?: readonly string[]): boolean {
  const parts = rel.split('/');
  if (roots && (parts.length < 2 || !roots.includes(parts[0]!))) return false;
  const name = parts[parts.length - 1]!;
  if (parts.slice(0, -1).some((d) => SKIPPED_DIRS.has(d) || d.startsWith('.'))) return false;
  if (!/\.ya?ml$/i.test(name) || name.startsWith('.')) return false;
  return !ignore.some((re) => re.test(rel));
}

/**
 * Every *.yaml / *.yml under dir (sorted, paths relative to dir with `/`), skipping tool and hidden
 * directories; only under the conventional folders when dir has any (SPEC_FOLDERS).
 */
export async function findSpecFiles(dir: string): Promise<string[]> {
  const ignore = await readIgnore(dir);
  const roots = await specRootsIn(dir);
  const out: string[] = [];
  const walk = async (current: string): Promise<void> => {
    const entries = await readdir(current, { withFileTypes: true });
    for (const e of entries) {
      const abs = join(current, e.name);
      const rel = relative(dir, abs).split(sep).join('/');
      if (ignore.some((re) => re.test(rel))) continue;
      if (e.isDirectory()) {
        if (SKIPPED_DIRS.has(e.name) || e.name.startsWith('.')) continue;
        if (roots && current === dir && !roots.includes(e.name)) continue;
        await walk(abs);
      } else if (isSpecFilePath(rel, ignore, roots)) {
        out.push(rel);
      }
    }
  };
  await walk(dir);
  return out.sort();
}
