import { EventEmitter } from 'node:events';
import type { ApplyResult } from '../apply/apply.js';
import { applyAndConverge, RegistryPendingError } from '../apply/converge.js';
import { MlflowError } from '../../adapters/mlflow/errors.js';
import { registryContextFromEnv, type RegistryContext } from '../plan/registry.js';
import type { ExecutionReport } from '../external/registry-steps.js';
import { GuardRefusedError, PlanRejectedError } from '../apply/errors.js';
import { changedPrompts, mirrorReportLines, NOT_CONFIGURED, wantsMirror, type MirrorReport } from '../external/prompt-mirror.js';
import { mirrorTargetsAfter, runMirror } from '../external/executor.js';
import type { Diagnostic, Plan } from '../../core/types.js';
import { mlflowConfigured } from '../../adapters/mlflow/config.js';
import type { DesiredState } from '../load/validate.js';
import type { Database } from '../../core/db.js';
import type { WatcherStatus } from '../../adapters/state/watchers.js';
import { stateRevision } from '../../core/diff.js';
import { specHash } from '../../core/hash.js';
import { Backoff, Coalescer } from '../../core/retry.js';

/** Input that cannot succeed until it changes (invalid specs, refused plans): no retry. */
export class TerminalReconcileError extends Error {
  constructor(message: string, readonly diagnostics: Diagnostic[] = []) {
    super(message);
    this.name = 'TerminalReconcileError';
  }
}

/** What `labctl status` and GET /v1/status report about the watcher. */
export type ReconcileStatus = WatcherStatus;
export type ReconcileState = WatcherStatus['state'];

export interface ReconcilerOptions {
  db: Database;
  /** Read the desired state afresh (from a directory or a git checkout). */
  load: () => Promise<DesiredState & { revisionHint?: string }>;
  actor: () => Promise<string>;
  /** The commit the specs come from, and whether they differ from it (a local directory with uncommitted edits). */
  git: () => Promise<{ sha: string; dirty: boolean }>;
  prune?: boolean;
  lockTimeoutMs?: number;
  debounceMs?: number;
  maxBackoffMs?: number;
  log?: (line: string) => void;
  /** Checked before each reconcile: a watcher that lost leadership must not apply (default: always). */
  shouldRun?: () => boolean;
  /** Environment naming the MLflow server for models and the prompt mirror (default: none, so no MLflow). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Level-triggered reconciler: any trigger schedules one full reconcile of the whole desired state
 * (never a diff of events). Ordinary errors retry with exponential backoff and jitter; terminal
 * ones wait for the next trigger.
 */
export class Reconciler extends EventEmitter {
  private readonly reconciles: Coalescer;
  private readonly mirrors: Coalescer;
  private timer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private stopped = false;
  private terminal = false;
  private mirrorChanged = new Set<string>();
  private mirrorTimer: NodeJS.Timeout | undefined;
  private readonly mirrorBackoff: Backoff;
  /** Aborted by stop(): a slow MLflow must not hold up shutting down. */
  private readonly mirrorAbort = new AbortController();
  readonly status: ReconcileStatus = { state: 'Ready', lastAppliedRevision: null, lastAttemptedRevision: null, lastError: null, lastErrorAt: null, lastReconcileAt: null };

  private registryCtx: RegistryContext | undefined;

  constructor(private readonly opts: ReconcilerOptions) {
    super();
    this.backoff = new Backoff({ initialMs: 500, maxMs: opts.maxBackoffMs ?? 60_000 });
    this.mirrorBackoff = new Backoff({ initialMs: 1000, maxMs: opts.maxBackoffMs ?? 60_000 });
    this.reconciles = new Coalescer(() => this.runOnce(), () => !this.stopped);
    this.mirrors = new Coalescer(async () => {
      try {
        await this.mirrorOnce(this.opts.env ?? {});
      } catch (e) {
        // Never an unhandled rejection from a background task (a throwing listener, say).
        this.opts.log?.(`MLflow mirror: ${(e as Error).message}`);
      }
    }, () => !this.stopped);
  }

  /** The MLflow client for models and policies, made once (an unusable URI fails each reconcile, terminally). */
  private registry(): RegistryContext {
    if (!this.registryCtx) {
      try {
        this.registryCtx = registryContextFromEnv(this.opts.env ?? {}, { signal: this.mirrorAbort.signal });
      } catch (e) {
        throw new TerminalReconcileError(`${(e as Error).message}; fix MLFLOW_TRACKING_URI and restart the watcher`);
      }
    }
    return this.registryCtx;
  }

  private logSteps(report: ExecutionReport | undefined): void {
    for (const o of report?.outcomes ?? []) {
      this.opts.log?.(`MLflow: ${o.message}: ${o.status === 'done' ? 'done' : `${o.status} (${o.error})`}`);
    }
  }

  /** Ask for a reconcile soon (debounced; coalesces bursts of file events). */
  trigger(delayMs = this.opts.debounceMs ?? 100): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reconcileNow(), delayMs);
  }

  /** Run one reconcile now; if one is running, run another right after it. */
  reconcileNow(): Promise<void> {
    return this.reconciles.run();
  }

  private async runOnce(): Promise<void> {
    if (this.opts.shouldRun && !this.opts.shouldRun()) return;
    this.status.state = 'Reconciling';
    this.status.lastReconcileAt = new Date().toISOString();
    try {
      const desired = await this.opts.load();
      // What this attempt tries to reach: the content revision of the specs that loaded.
      this.status.lastAttemptedRevision = stateRevision(desired.resources.map((r) => ({ kind: r.kind, name: r.name, hash: specHash(r.spec) })));
      const errors = desired.diagnostics.filter((d) => d.severity === 'error');
      if (errors.length > 0) throw new TerminalReconcileError(`specs are invalid (${errors.length} error${errors.length === 1 ? '' : 's'}); keeping the last applied state`, desired.diagnostics);
      const [actor, git] = await Promise.all([this.opts.actor(), this.opts.git()]);
      let result: ApplyResult;
      /** MLflow could not be read or written: the database was applied without the registry; retry it. */
      let registryDown: Error | undefined;
      const run = (registry: RegistryContext) =>
        applyAndConverge(this.opts.db, { desired: desired.resources, diagnostics: desired.diagnostics }, {
          prune: this.opts.prune ?? false,
          gitSha: git.sha,
          gitDirty: git.dirty,
          actor,
          now: () => new Date(),
          locate: desired.locate,
          lockTimeoutMs: this.opts.lockTimeoutMs ?? 30_000,
          allowMassArchive: false,
          registry,
          signal: this.mirrorAbort.signal,
        });
      try {
        let converged;
        try {
          converged = await run(this.registry());
          // The database is committed but this apply's MLflow steps did not all run: retried like any failure.
          if (converged.registryPending) throw converged.registryPending;
        } catch (e) {
          // An MLflow outage must not hold up experiments and prompts: apply them without the
          // registry (nothing is journaled for it) and retry the models with backoff.
          const down = (e instanceof MlflowError && !e.isNotFound && !e.isAlreadyExists && (e.retryable || e.isAuthError)) || (e instanceof RegistryPendingError && !e.applied);
          if (!down) throw e;
          registryDown = e as Error;
          converged = await run({});
        }
        this.logSteps(converged.resumed);
        this.logSteps(converged.executed);
        result = converged.result!;
      } catch (e) {
        if (e instanceof PlanRejectedError) throw new TerminalReconcileError('the plan was rejected; keeping the last applied state', e.diagnostics);
        if (e instanceof GuardRefusedError) throw new TerminalReconcileError(`${e.message}; if it is intended, apply it once by hand with labctl apply --prune --allow-mass-archive`);
        throw e;
      }
      this.status.lastAppliedRevision = result.plan.revision;
      if (registryDown) {
        this.status.state = 'Stalled';
        this.status.lastError = `MLflow: ${registryDown.message.split('\n')[0]}; the database is applied, models and policies are retried`;
        this.status.lastErrorAt = new Date().toISOString();
        this.terminal = false;
        this.emit('applied', result);
        this.scheduleMirror(result.plan);
        if (!this.stopped) {
          const delay = this.backoff.next();
          this.opts.log?.(`${this.status.lastError}; retrying in ${(delay / 1000).toFixed(1)}s`);
          this.trigger(delay);
        }
        return;
      }
      this.status.state = 'Ready';
      this.status.lastError = null;
      this.status.lastErrorAt = null;
      this.backoff.reset();
      this.terminal = false;
      this.emit('applied', result);
      this.scheduleMirror(result.plan);
    } catch (e) {
      const err = e as Error;
      this.status.state = 'Stalled';
      this.status.lastError = err.message.split('\n')[0] ?? String(e);
      this.status.lastErrorAt = new Date().toISOString();
      this.terminal = err instanceof TerminalReconcileError;
      this.emit('failed', err);
      if (!(err instanceof TerminalReconcileError) && !this.stopped) {
        const delay = this.backoff.next();
        this.opts.log?.(`reconcile failed: ${this.status.lastError}; retrying in ${(delay / 1000).toFixed(1)}s`);
        this.trigger(delay);
      }
    }
  }

  /**
   * Mirror prompts into MLflow after an apply, off the reconcile path (MLflow being slow or down
   * never holds up the database). Failures are logged and retried with backoff; runs coalesce.
   */
  private scheduleMirror(plan?: Plan): void {
    if (this.stopped) return;
    const env = this.opts.env ?? {};
    if (!mlflowConfigured(env)) {
      // Nothing to call: say so for the prompts this apply changed (not on every no-op reconcile).
      for (const c of plan?.changes ?? []) {
        if (c.kind === 'Prompt' && (c.action === 'create' || c.action === 'update') && wantsMirror(c.after)) {
          this.opts.log?.(`MLflow: prompt ${c.name}: ${NOT_CONFIGURED} (set MLFLOW_TRACKING_URI to mirror it)`);
        }
      }
      return;
    }
    if (plan) for (const n of changedPrompts(plan)) this.mirrorChanged.add(n);
    clearTimeout(this.mirrorTimer);
    void this.mirrors.run();
  }

  private async mirrorOnce(env: NodeJS.ProcessEnv): Promise<void> {
    if (this.opts.shouldRun && !this.opts.shouldRun()) return;
    const changed = this.mirrorChanged;
    this.mirrorChanged = new Set();
    let report: MirrorReport;
    try {
      report = await runMirror(await mirrorTargetsAfter(this.opts.db, undefined, changed), { env, signal: this.mirrorAbort.signal });
    } catch (e) {
      report = { configured: true, results: [], failed: [{ prompt: '*', alias: '', status: 'failed', error: (e as Error).message.split('\n')[0] }] };
    }
    if (this.stopped) return;
    const { info, errors } = mirrorReportLines(report);
    for (const l of info) if (!/already in sync/.test(l)) this.opts.log?.(l);
    this.emit('mirrored', report);
    if (report.failed.length === 0) {
      this.mirrorBackoff.reset();
      return;
    }
    for (const f of report.failed) if (f.prompt !== '*') this.mirrorChanged.add(f.prompt);
    const delay = this.mirrorBackoff.next();
    for (const l of errors.length ? errors : report.failed.map((f) => `MLflow mirror failed: ${f.error}`)) this.opts.log?.(`${l}; the database is applied; retrying the mirror in ${(delay / 1000).toFixed(1)}s`);
    if (this.stopped) return;
    clearTimeout(this.mirrorTimer);
    this.mirrorTimer = setTimeout(() => this.scheduleMirror(), delay);
    this.mirrorTimer.unref?.();
  }

  /** Record a failure that happened outside a reconcile (e.g. a git fetch), so status shows it. */
  reportExternalFailure(message: string): void {
    this.status.state = 'Stalled';
    this.status.lastError = message;
    this.status.lastErrorAt = new Date().toISOString();
  }

  /** Whether the last reconcile failed in a way that retrying without a change cannot fix. */
  get lastFailureTerminal(): boolean {
    return this.terminal;
  }

  /** Stop after the current reconcile. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.mirrorTimer);
    await this.reconciles.settled();
    this.mirrorAbort.abort(new Error('the watcher is stopping'));
    await this.mirrors.settled();
  }
}
