import { hostname } from 'node:os';
import type { HostProcess } from '../core/db.js';

/** Whether a process runs: signal 0 checks without touching it (EPERM: it runs, as another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** This process, as the stores see it (lock files, watcher rows). */
export function currentProcess(): HostProcess {
  return { pid: process.pid, hostname: hostname(), isAlive };
}
