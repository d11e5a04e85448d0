// Part 2 of the flow benchmark: many concurrent sessions on one `labctl serve` (with Redis). Every
// session is started, then each sends its messages, the next one when its answer is back; at most
// `concurrency` requests are in flight. Throughput, latency per turn, and what each process used.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { FlowHttp, percentiles } from './flow-client.js';
import { checkTurn, FLOW, modelCalls, question } from './flow-project.js';
import { procCpuMs, procMemory, sleep } from './procs.js';

/** Busy and total CPU time of the whole machine so far (ms), from /proc/stat: was it saturated? */
function machineCpuMs() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + f[4];
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) * 10, total: total * 10 };
}

/** CPU time (ms) used so far by every process with this command name (postgres backends, redis-server). */
function commandCpuMs(comm) {
  let sum = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm) sum += procCpuMs(pid) ?? 0;
    } catch {
      // the process ended
    }
  }
  return sum;
}

/** serve's heap (MB) after two full collections: bench/heap-probe.js, preloaded into serve, writes it on SIGUSR2. */
async function heapAfterGc(serve) {
  rmSync(serve.heapOut, { force: true });
  serve.child.kill('SIGUSR2');
  for (let i = 0; i < 100; i++) {
    await sleep(50);
    try {
      return JSON.parse(readFileSync(serve.heapOut, 'utf8')).heapUsed / 1048576;
    } catch {
      // not written yet
    }
  }
  return undefined;
}

/** `sessions` sessions started, then `turns` messages each, at most `concurrency` requests in flight. */
async function drive(http, { sessions, turns, concurrency, tag }) {
  const ids = [];
  const startMs = [];
  let next = 0;
  const s0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, sessions) }, async () => {
      for (let i = next++; i < sessions; i = next++) {
        const r = await http.start(FLOW, { user_id: `${tag}-${i}` });
        ids.push(r.body.session);
        startMs.push(r.ms);
      }
    }),
  );
  const startSeconds = (performance.now() - s0) / 1000;
  // A session's next message goes when its answer is back; a free client takes the session waiting longest.
  const queue = ids.map((id) => ({ id, left: turns }));
  let head = 0;
  let sent = 0;
  const turnMs = [];
  const errors = [];
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, sessions) }, async () => {
      while (head < queue.length) {
        const s = queue[head++];
        try {
          const r = await http.send(s.id, question(sent++));
          checkTurn(r);
          turnMs.push(r.ms);
        } catch (e) {
          failed++;
          if (errors.length < 5) errors.push(e.message);
        }
        if (--s.left > 0) queue.push(s);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return { ids, startSeconds, starts: percentiles(startMs), startsPerSecond: sessions / startSeconds, seconds, turns: percentiles(turnMs), turnsPerSecond: turnMs.length / seconds, failed, errors };
}

/**
 * After a warm-up of 100 sessions × 3 turns: `sessions` × `turns` at `concurrency`. serve must have
 * been started with the heap probe (serve.heapOut). Every session id is added to `made` (for cleanup).
 */
export async function concurrentSessions(serve, llm, { sessions, turns, concurrency, made }) {
  const http = new FlowHttp(serve.url, concurrency);
  const atStart = procMemory(serve.pid);
  const warm = await drive(http, { sessions: 100, turns: 3, concurrency: 100, tag: `warm${concurrency}` });
  made.push(...warm.ids);
  const before = procMemory(serve.pid);
  const heapBefore = await heapAfterGc(serve);
  const calls0 = await modelCalls(llm.url);
  const cpu = { serve: procCpuMs(serve.pid), modelServer: procCpuMs(llm.pid), postgres: commandCpuMs('postgres'), redis: commandCpuMs('redis-server') };
  const self0 = process.cpuUsage();
  const machine0 = machineCpuMs();
  const r = await drive(http, { sessions, turns, concurrency, tag: `c${concurrency}` });
  const wallMs = (r.startSeconds + r.seconds) * 1000;
  const used = { serve: procCpuMs(serve.pid) - cpu.serve, modelServer: procCpuMs(llm.pid) - cpu.modelServer, postgres: commandCpuMs('postgres') - cpu.postgres, redis: commandCpuMs('redis-server') - cpu.redis };
  const self = process.cpuUsage(self0);
  const machine1 = machineCpuMs();
  const after = procMemory(serve.pid);
  const heapAfter = await heapAfterGc(serve);
  const calls = (await modelCalls(llm.url)) - calls0;
  made.push(...r.ids);
  http.close();
  const { ids, ...rest } = r;
  const pct = (ms) => (ms / wallMs) * 100;
  return {
    concurrency,
    sessions,
    turnsPerSession: turns,
    ...rest,
    modelCalls: calls,
    // % of one core; machine: % of all cores (100 = every core busy, with whatever else runs on it).
    cpuPercent: { serve: pct(used.serve), postgres: pct(used.postgres), redis: pct(used.redis), modelServer: pct(used.modelServer), client: pct((self.user + self.system) / 1000), machine: ((machine1.busy - machine0.busy) / (machine1.total - machine0.total)) * 100 },
    serveCpuUsPerTurn: (used.serve * 1000) / (r.turns.n + sessions),
    memoryMB: { atStart: atStart.rssMB, beforeRun: before.rssMB, afterRun: after.rssMB, peak: after.peakRssMB, heapBeforeRun: heapBefore, heapAfterRun: heapAfter },
  };
}
