// The HTTP load generator, run in its own process so it never shares the server's event loop:
//   node bench/load.js CONFIG.json   → one JSON line on stdout
// CONFIG: { url, connections, seconds, warmupSeconds, method: 'GET'|'POST', list: requestList options, serverPid? }
// Requests cycle through a precomputed list of paths (GET) or bodies (POST to url's path), one per
// request, via autocannon's setupRequest, so every request names another user (and, for GET, another
// experiment). The list is built here, before anything is timed (bench/attributes.js requestList).
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { requestList } from './attributes.js';
import { procCpuMs } from './procs.js';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const base = new URL(cfg.url);
const list = requestList(cfg.list);

let k = 0; // continues from the warm-up: the timed run starts with users the server has not seen
function run(seconds) {
  const request =
    cfg.method === 'POST'
      ? {
          method: 'POST',
          path: base.pathname,
          headers: { 'content-type': 'application/json' },
          setupRequest: (req) => {
            req.body = list[k++ % list.length];
            return req;
          },
        }
      : {
          method: 'GET',
          setupRequest: (req) => {
            req.path = list[k++ % list.length];
            return req;
          },
        };
  return new Promise((resolve, reject) => {
    autocannon({ url: base.origin, connections: cfg.connections, duration: seconds, requests: [request] }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

if (cfg.warmupSeconds > 0) await run(cfg.warmupSeconds);
const cpu0 = process.cpuUsage();
const server0 = cfg.serverPid ? procCpuMs(cfg.serverPid) : undefined;
const r = await run(cfg.seconds);
const server1 = cfg.serverPid ? procCpuMs(cfg.serverPid) : undefined;
const cpu = process.cpuUsage(cpu0);
const ok = Object.entries(r.statusCodeStats ?? {}).reduce((n, [code, s]) => n + (code.startsWith('2') ? Number(s.count) : 0), 0);
process.stdout.write(
  JSON.stringify({
    seconds: r.duration,
    requests: r.requests.total,
    ok,
    rps: ok / r.duration,
    rpsPerSecond: { mean: r.requests.average, p50: r.requests.p50, min: r.requests.min },
    latencyMs: { mean: r.latency.average, p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, p999: r.latency.p99_9, max: r.latency.max },
    bytesPerResponse: r.throughput.total / Math.max(1, r.requests.total),
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    // This process's own CPU over the measured run, in % of one core: near 100% means the load
    // generator, not the server, set the pace.
    // The server process's CPU over the measured run (10 ms resolution), in % of one core and per request.
    serverCpuPercent: server0 !== undefined ? ((server1 - server0) / (r.duration * 1000)) * 100 : undefined,
    serverCpuUsPerRequest: server0 !== undefined ? ((server1 - server0) * 1000) / Math.max(1, r.requests.total) : undefined,
    loadgenCpuPercent: ((cpu.user + cpu.system) / 1000 / (r.duration * 1000)) * 100,
  }) + '\n',
);
