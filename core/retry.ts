/**
 * The two retry shapes every long-running loop in labctl uses: exponential backoff with jitter, and
 * a coalescing runner (a request made while a run is in progress becomes one more run after it).
 * No I/O; timers stay with the caller, which decides what to wait for.
 */

export interface BackoffOptions {
  /** First delay. */
  initialMs: number;
  /** Longest delay. */
  maxMs: number;
  /** Each delay is the nominal one times a random factor in [min, max) (default [0.8, 1.2]; [1, 1] for none). */
  spread?: readonly [number, number];
  /** Source of randomness in [0, 1) (default Math.random), passed in by tests. */
  random?: () => number;
}

/** Exponential backoff: next() gives the delay to wait now and doubles the next one, reset() after a success. */
export class Backoff {
  private nominal: number;

  constructor(private readonly opts: BackoffOptions) {
    this.nominal = opts.initialMs;
  }

  /** The nominal delay the next call to next() is based on. */
  get currentMs(): number {
    return this.nominal;
  }

  /** The current delay with jitter, without moving on (a poll interval that failures stretch). */
  peek(): number {
    const [min, max] = this.opts.spread ?? [0.8, 1.2];
    return this.nominal * (min + (this.opts.random ?? Math.random)() * (max - min));
  }

  /** The delay to wait before the next attempt (with jitter); the one after is twice as long, up to maxMs. */
  next(): number {
    const delay = this.peek();
    this.nominal = Math.min(this.nominal * 2, this.opts.maxMs);
    return delay;
  }

  /** Start again from the first delay (the operation succeeded). */
  reset(): void {
    this.nominal = this.opts.initialMs;
  }
}

/**
 * Runs a task one at a time. run() while a run is in progress does not start a second one: it asks
 * for one more run after the current one and shares its promise, so bursts coalesce.
 */
export class Coalescer {
  private running: Promise<void> | undefined;
  private again = false;

  /** `more` is checked before each extra run (false: stop, e.g. after stop()). */
  constructor(private readonly task: () => Promise<void>, private readonly more: () => boolean = () => true) {}

  /** Whether a run is in progress. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Run the task now, or once more after the run in progress. */
  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.task();
        } while (this.again && this.more());
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** Wait for the run in progress, if any. */
  async settled(): Promise<void> {
    await this.running;
  }
}
