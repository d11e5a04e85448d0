import type { Queryable } from '../../core/db.js';

export type { Exposure } from '../../kinds/routes.js';
import type { Exposure, ExposureSink } from '../../kinds/routes.js';

export interface ExposureWriterOptions {
  /** Rows per INSERT; a full batch is flushed at once. */
  batchSize?: number;
  /** Longest time a recorded exposure waits before it is written. */
  flushMs?: number;
  /** Rows held in memory (e.g. during a database outage); beyond it new exposures are dropped and counted. */
  maxBuffer?: number;
  /** Keys remembered to skip repeats without a database round trip. */
  maxRecent?: number;
}

export interface ExposureStats {
  written: number;
  dropped: number;
  buffered: number;
  failures: number;
}

/**
 * Batches first exposures into labctl.exposures. record() never blocks and never throws: it appends
 * to a bounded buffer; a timer flushes it. The primary key deduplicates across retries and replicas.
 */
export class ExposureWriter implements ExposureSink {
  private buffer: Exposure[] = [];
  private recent = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private timerDue = 0;
  private flushing: Promise<void> | undefined;
  private readonly batchSize: number;
  private readonly flushMs: number;
  private readonly maxBuffer: number;
  private readonly maxRecent: number;
  private failing = false;
  private closed = false;
  readonly stats: ExposureStats = { written: 0, dropped: 0, buffered: 0, failures: 0 };

  constructor(private readonly db: Queryable, opts: ExposureWriterOptions = {}) {
    this.batchSize = opts.batchSize ?? 1000;
    this.flushMs = opts.flushMs ?? 500;
    this.maxBuffer = opts.maxBuffer ?? 100_000;
    this.maxRecent = opts.maxRecent ?? 200_000;
  }

  /** Note an enrolled assignment; repeats of a recently seen (experiment, phase, unit) are skipped. */
  record(e: Exposure): void {
    if (this.closed) return;
    const key = `${e.experiment}\u0000${e.phase}\u0000${e.unit}`;
    if (this.recent.has(key)) return;
    if (this.buffer.length >= this.maxBuffer) {
      this.stats.dropped++;
      return;
    }
    if (this.recent.size >= this.maxRecent) this.recent.clear();
    this.recent.add(key);
    this.buffer.push(e);
    this.stats.buffered = this.buffer.length;
    if (this.buffer.length >= this.batchSize && !this.failing) this.kick(0);
    else if (!this.timer) this.kick(this.flushMs);
  }

  private kick(ms: number): void {
    // A timer that is already due sooner stays: re-arming it on every record() under sustained load
    // would keep postponing the flush (each re-arm restarts the 1 ms minimum delay).
    const due = Date.now() + ms;
    if (this.timer && this.timerDue <= due) return;
    clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, ms);
    this.timer.unref();
  }

  /** Write everything buffered now (one batch at a time); failed rows stay buffered for the next try. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    // Nothing to write. This check is also what keeps `flushing` correct: with an empty buffer the
    // async body below would finish synchronously, its `finally` (which clears `flushing`) would run
    // before the assignment, and a settled promise would stay in `flushing` for good — every later
    // flush() would return it and write nothing (seen under load, when a timer fired after a drain).
    if (this.buffer.length === 0) return Promise.resolve();
    this.flushing = (async () => {
      try {
        while (this.buffer.length > 0) {
          const batch = this.buffer.slice(0, this.batchSize);
          try {
            await this.write(batch);
          } catch {
            this.stats.failures++;
            this.failing = true;
            break;
          }
          this.failing = false;
          this.buffer.splice(0, batch.length);
          this.stats.written += batch.length;
          this.stats.buffered = this.buffer.length;
        }
      } finally {
        this.flushing = undefined;
        if (this.buffer.length > 0 && !this.closed) this.kick(this.failing ? Math.min(5000, this.flushMs * 4) : this.flushMs);
      }
    })();
    return this.flushing;
  }

  // Rows are inserted in key order: replicas writing overlapping keys then lock them in the same
  // order and cannot deadlock each other. The batch is sent as it is buffered (its `at` in epoch
  // milliseconds, converted by the database): formatting a date per row in JavaScript doubled the
  // CPU the runtime spent per exposure.
  private async write(batch: Exposure[]): Promise<void> {
    await this.db.query(
      `INSERT INTO labctl.exposures (experiment, phase, unit, variant, revision, first_exposed_at)
       SELECT experiment, phase, unit, variant, revision, to_timestamp(at / 1000.0)
         FROM jsonb_to_recordset($1::jsonb) AS t(experiment text, phase integer, unit text, variant text, revision text, at double precision)
        ORDER BY experiment, phase, unit
       ON CONFLICT (experiment, phase, unit) DO NOTHING`,
      [JSON.stringify(batch)],
    );
  }

  /** Flush what is buffered (bounded by timeoutMs) and stop. */
  async close(timeoutMs = 5000): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await Promise.race([this.flush(), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }
}
