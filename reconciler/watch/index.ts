export { Reconciler, TerminalReconcileError, type ReconcileStatus, type ReconcileState, type ReconcilerOptions } from './reconciler.js';
export { watchSpecDir, isSpecPath, isEditorTempFile } from './dir-watcher.js';
export { Watcher, RECONCILE_CHANNEL, type WatchSource, type WatcherOptions } from './watcher.js';
export { LeaderElection } from './leader.js';
export { WatcherRegistry, readWatchers, type WatcherRow } from './registry.js';
export { GitSpecSource, defaultGitCacheDir, redactGitUrl } from './git-source.js';
