export { Reconciler, TerminalReconcileError, type ReconcileStatus, type ReconcileState, type ReconcilerOptions } from './reconciler.js';
export { watchSpecDir, isSpecPath, isEditorTempFile } from './dir-watcher.js';
