/** NOTIFY channel that tells every runtime replica a new revision is applied (payload: the revision, or `registry`). */
export const CHANGES_CHANNEL = 'labctl_changes';

/** NOTIFY channel on which POST /v1/reconcile (from any process) asks the leader watcher to reconcile now. */
export const RECONCILE_CHANNEL = 'labctl_reconcile';
