import { watch, type FSWatcher } from 'chokidar';
import { existsSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { SPEC_FOLDERS, specRoots } from './spec-files.js';

const SKIPPED = new Set(['node_modules', '.git', 'dist', '.labctl']);

/** Editors' temporary and backup files: never a reason to reconcile. */
export function isEditorTempFile(name: string): boolean {
  return /^\.?#|~$|\.sw[a-px]$|^4913$|\.tmp$|\.bak$|\.orig$|^\.goutputstream-/.test(name);
}

/** Whether a changed path can change the desired state. */
export function isSpecPath(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  if (rel.split(sep).some((p) => SKIPPED.has(p) || (p.startsWith('.') && p !== '.labctlignore'))) return false;
  const name = basename(path);
  if (isEditorTempFile(name)) return false;
  const parts = rel.split(sep);
  // Creating or removing a conventional folder switches what is read (the whole tree or only the folders).
  if (parts.length === 1 && (SPEC_FOLDERS as readonly string[]).includes(name)) return true;
  if (name === '.labctlignore') return parts.length === 1;
  if (!/\.ya?ml$/i.test(name)) return false;
  // Agree with findSpecFiles: when the folders exist (checked now, as the tree changes), YAML elsewhere is not a spec.
  const roots = specRoots(SPEC_FOLDERS.filter((f) => existsSync(join(dir, f))));
  return !roots || (parts.length > 1 && roots.includes(parts[0]!));
}

/** Watch dir for spec changes; calls onChange (the caller debounces and reconciles everything). */
export function watchSpecDir(dir: string, onChange: () => void): FSWatcher {
  const watcher = watch(dir, {
    ignoreInitial: true,
    ignored: (path: string) => {
      const rel = relative(dir, path);
      return rel !== '' && rel.split(sep).some((p) => SKIPPED.has(p) || (p.startsWith('.') && p !== '.labctlignore'));
    },
  });
  watcher.on('all', (_event, path) => {
    if (isSpecPath(dir, path)) onChange();
  });
  return watcher;
}
