// Preloaded into `labctl serve` by the runtime benchmark (node --expose-gc --import this file):
// on SIGUSR2 it collects garbage and writes process.memoryUsage() as JSON to $LABCTL_BENCH_HEAP_OUT.
// labctl itself does not register default Node metrics, so this is how the heap of the real server is read.
import { writeFileSync } from 'node:fs';

process.on('SIGUSR2', () => {
  globalThis.gc?.();
  globalThis.gc?.();
  writeFileSync(process.env.LABCTL_BENCH_HEAP_OUT, JSON.stringify({ ...process.memoryUsage(), gc: typeof globalThis.gc === 'function' }) + '\n');
});
