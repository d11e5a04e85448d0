export { Reconciler, TerminalReconcileError, type ReconcileStatus, type ReconcileState, type ReconcilerOptions } from './reconciler.js';
export { watchSpecDir, isSpecPath, isEditorTempFile } from '../../adapters/files/dir-watcher.js';
export { RECONCILE_CHANNEL } from '../../core/channels.js';
export { Watcher, type WatchSource, type WatcherOptions } from './watcher.js';
export { LeaderElection } from './leader.js';
export { WatcherRegistry, readWatchers, type WatcherRow } from '../../adapters/state/watchers.js';
export { GitSpecSource, defaultGitCacheDir, redactGitUrl } from '../../adapters/git/branch-source.js';
