import { describe, expect, it } from 'vitest';
import { Backoff, Coalescer } from '../../core/retry.js';

describe('Backoff', () => {
  it('doubles up to the cap, applies the spread, and starts over after reset', () => {
    const low = new Backoff({ initialMs: 100, maxMs: 500, random: () => 0 });
    expect([low.next(), low.next(), low.next(), low.next(), low.next()]).toEqual([80, 160, 320, 400, 400]);
    low.reset();
    expect(low.next()).toBe(80);
    const high = new Backoff({ initialMs: 100, maxMs: 1000, spread: [0.5, 1], random: () => 0.999999 });
    expect(high.next()).toBeCloseTo(100, 3);
    expect(high.next()).toBeCloseTo(200, 3);
  });

  it('peek() gives the current delay with jitter without moving on', () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 16_000, spread: [0.9, 1.1], random: () => 0.5 });
    expect([b.peek(), b.peek()]).toEqual([1000, 1000]);
    b.next();
    expect(b.currentMs).toBe(2000);
    expect(b.peek()).toBe(2000);
  });
});

describe('Coalescer', () => {
  it('runs once at a time; a burst during a run becomes exactly one more run', async () => {
    let runs = 0;
    let release!: () => void;
    const c = new Coalescer(async () => {
      runs++;
      if (runs === 1) await new Promise<void>((r) => (release = r));
    });
    const first = c.run();
    expect(c.busy).toBe(true);
    const burst = [c.run(), c.run(), c.run()];
    expect(burst.every((p) => p === first)).toBe(true);
    release();
    await Promise.all([first, ...burst]);
    expect(runs).toBe(2);
    expect(c.busy).toBe(false);
    await c.run();
    expect(runs).toBe(3);
  });

  it('stops asking for more once `more` says no, and is free again after a failing run', async () => {
    let runs = 0;
    let stop = false;
    let release!: () => void;
    const c = new Coalescer(async () => {
      runs++;
      if (runs === 1) await new Promise<void>((r) => (release = r));
    }, () => !stop);
    const p = c.run();
    void c.run();
    stop = true;
    release();
    await p;
    expect(runs).toBe(1);
    const failing = new Coalescer(async () => {
      throw new Error('boom');
    });
    await expect(failing.run()).rejects.toThrow('boom');
    expect(failing.busy).toBe(false);
  });
});
