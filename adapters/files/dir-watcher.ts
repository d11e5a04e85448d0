import { watch, type FSWatcher } from 'chokidar';
import { basename, relative, sep } from 'node:path';

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
  return /\.ya?ml$/i.test(name) || name === '.labctlignore';
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
