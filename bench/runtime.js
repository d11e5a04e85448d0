// The runtime benchmark (part of `npm run bench`; alone: `node bench/run.js --only runtime`).
//
// 1. In-process: assignments per second through labctl's `assign(snapshot, name, attributes)` and
//    through the GrowthBook SDK evaluating the same 100 running experiments (bench/runtime-assign.js,
//    one process per engine), after checking both give the same answer for every (user, experiment).
// 2. HTTP: `labctl serve` on PostgreSQL after an apply of the same tree, against a bare node:http
//    server answering a fixed body of the same size; autocannon in a third process (bench/load.js).
// 3. Memory: RSS and heap of `labctl serve` holding an empty, a 100- and a 10,000-experiment state.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requestList } from './attributes.js';
import { generateTree } from './generate.js';
import { median, runCliOnce } from './measure.js';
import { nodeJson, procMemory, sleep, startProcess, startServe, stopProcess } from './procs.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
// labctl, then the GrowthBook SDK three ways (bench/runtime-assign.js describes each).
const ENGINES = ['labctl', 'gb-client', 'gb-inline', 'gb-instance'];

async function cli(args, { cwd, env, expect = 0 }) {
  const r = await runCliOnce(args, { cwd, env });
  if (r.code !== expect) throw new Error(`labctl ${args.join(' ')} exited ${r.code}, expected ${expect}\n${r.stdout}\n${r.stderr}`);
  return r;
}

async function fetchText(url, init) {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Exposure counters of a running serve, from /metrics. */
async function exposureCounters(base) {
  const { text } = await fetchText(`${base}/metrics`);
  const num = (name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { written: num('labctl_exposures_written_total'), dropped: num('labctl_exposures_dropped_total'), buffered: num('labctl_exposures_buffered') };
}

/**
 * ctx: { work, log, baseEnv, freshPostgres: () => Promise<url>, opt: { seconds, runs, httpSeconds, warmupSeconds, connections } }
 * Returns the `runtime` section of the results.
 */
export async function runtimeBench(ctx) {
  const { work, log, baseEnv, freshPostgres } = ctx;
  const o = ctx.opt;
  const out = { config: { ...o }, tree: {}, assign: {}, http: {}, memory: {}, targets: [] };
  const tree = join(work, 'runtime-100');
  out.tree = generateTree(tree, 100, { allRunning: true });
  log(`runtime: 100-experiment tree (all running): ${out.tree.resources} resources`);

  // --- 1. In-process.
  const assignArgs = ['--tree', tree, '--seconds', String(o.seconds), '--runs', String(o.runs), '--warmup', String(o.warmupSeconds)];
  // NODE_ENV=production as a production service runs: GrowthBook skips its debug logging then.
  const env = { ...baseEnv, NODE_ENV: 'production' };
  out.assign.verify = (await nodeJson(join(HERE, 'runtime-assign.js'), ['--tree', tree, '--verify'], { env })).verify;
  log(`runtime: labctl and GrowthBook agree on ${out.assign.verify.same} of ${out.assign.verify.total} assignments`);
  for (const e of ENGINES) {
    out.assign[e] = await nodeJson(join(HERE, 'runtime-assign.js'), [...assignArgs, '--engine', e], { env });
    log(`runtime: in-process ${e}: ${Math.round(out.assign[e].median).toLocaleString('en-US')} assignments/s`);
  }

  // --- 2. HTTP.
  const dbUrl = await freshPostgres();
  const serveEnv = { ...baseEnv, DATABASE_URL: dbUrl };
  await cli(['apply', '--dir', tree], { cwd: work, env: serveEnv });
  const serve = await startServe({ env: serveEnv, cwd: work });
  const bare = [];
  try {
    const running = JSON.parse((await fetchText(`${serve.url}/v1/assign`, { method: 'POST', body: JSON.stringify({ attributes: {}, log: false }) })).text);
    const names = Object.keys(running.assignments);
    if (names.length !== 100) throw new Error(`expected 100 running experiments, serve has ${names.length}`);
    // Every request names another user (each run its own users); GET requests also cycle through the experiments.
    let nextUser = 0;
    const list = (kind, log) => {
      const l = { kind, names, log, from: nextUser, n: o.httpUsersPerRun };
      nextUser += o.httpUsersPerRun;
      return l;
    };
    // The bare servers answer with a typical labctl answer (same size).
    const [getPath] = requestList({ kind: 'get', names, log: false, from: 1, n: 1 });
    const [postBody] = requestList({ kind: 'post', names, log: false, from: 1, n: 1 });
    const getSample = await fetchText(`${serve.url}${getPath}`);
    const postSample = await fetchText(`${serve.url}/v1/assign`, { method: 'POST', body: postBody });
    const dir = join(work, 'runtime-http');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'get.json'), getSample.text);
    writeFileSync(join(dir, 'post.json'), postSample.text);
    out.http.bodyBytes = { get: Buffer.byteLength(getSample.text), post: Buffer.byteLength(postSample.text) };
    for (const kind of ['get', 'post']) {
      const b = await startProcess([process.execPath, join(HERE, 'bare-server.js'), join(dir, `${kind}.json`)], { env: baseEnv, ready: /^(\d+)$/m, name: 'bare server' });
      bare.push(b);
      b.url = `http://127.0.0.1:${b.match}`;
    }
    const [bareGet, barePost] = bare;
    const rounds = {};
    const load = async (name, url, method, l, pid, seconds) => {
      const cfgFile = join(dir, `${name}.json`);
      writeFileSync(cfgFile, JSON.stringify({ url, method, connections: o.connections, seconds, warmupSeconds: o.httpWarmupSeconds, serverPid: pid, list: l }));
      const before = url.startsWith(serve.url) ? await exposureCounters(serve.url) : undefined;
      const r = await nodeJson(join(HERE, 'load.js'), [cfgFile], { env: baseEnv });
      if (before) {
        // Wait until the exposure writer has written what this run buffered (so the next run starts
        // clean and its counts are its own); how long that takes is reported too.
        const t0 = performance.now();
        let after = await exposureCounters(serve.url);
        while (after.buffered > 0 && performance.now() - t0 < 60_000) {
          await sleep(100);
          after = await exposureCounters(serve.url);
        }
        r.exposures = { written: after.written - before.written, dropped: after.dropped - before.dropped, bufferedAfter: after.buffered, drainMs: performance.now() - t0 };
      }
      (rounds[name] ??= []).push(r);
      log(`runtime: HTTP ${name}: ${Math.round(r.rps).toLocaleString('en-US')} req/s, p99 ${r.latencyMs.p99} ms, server ${r.serverCpuPercent?.toFixed(0)}% cpu (${r.serverCpuUsPerRequest?.toFixed(0)} µs/request), load generator ${r.loadgenCpuPercent.toFixed(0)}%${r.non2xx || r.errors ? `, ${r.non2xx} non-2xx, ${r.errors} errors` : ''}${r.exposures ? `, ${r.exposures.written} exposures written, ${r.exposures.dropped} dropped, buffer drained ${(r.exposures.drainMs / 1000).toFixed(1)} s after the run` : ''}`);
    };
    // GET (the targets): bare and labctl interleaved, several short rounds, so that a burst of other
    // work on the machine hits both; POST: one longer round.
    for (let i = 0; i < o.httpRounds; i++) {
      await load('bare-get', bareGet.url, 'GET', list('get', true), bareGet.pid, o.httpSeconds);
      await load('serve-get', serve.url, 'GET', list('get', true), serve.pid, o.httpSeconds);
      await load('serve-get-nolog', serve.url, 'GET', list('get', false), serve.pid, o.httpSeconds);
    }
    await load('bare-post', `${barePost.url}/v1/assign`, 'POST', list('post', true), barePost.pid, o.httpPostSeconds);
    await load('serve-post', `${serve.url}/v1/assign`, 'POST', list('post', true), serve.pid, o.httpPostSeconds);
    await load('serve-post-nolog', `${serve.url}/v1/assign`, 'POST', list('post', false), serve.pid, o.httpPostSeconds);
    // Per configuration: medians over the rounds (and the worst p99); "of bare" is the median of the
    // per-round ratios, each against the bare run just before it.
    const med = (xs) => median(xs.filter((x) => x !== undefined));
    for (const [name, rs] of Object.entries(rounds)) {
      const bareRs = rounds[name.includes('post') ? 'bare-post' : 'bare-get'];
      out.http[name] = {
        rounds: rs,
        rps: med(rs.map((r) => r.rps)),
        latencyMs: { p50: med(rs.map((r) => r.latencyMs.p50)), p99: med(rs.map((r) => r.latencyMs.p99)), p999: med(rs.map((r) => r.latencyMs.p999)), p99Worst: Math.max(...rs.map((r) => r.latencyMs.p99)) },
        ofBare: name.startsWith('bare') ? undefined : med(rs.map((r, i) => r.rps / bareRs[i].rps)),
        serverCpuPercent: med(rs.map((r) => r.serverCpuPercent)),
        serverCpuUsPerRequest: med(rs.map((r) => r.serverCpuUsPerRequest)),
        loadgenCpuPercent: med(rs.map((r) => r.loadgenCpuPercent)),
        non2xx: rs.reduce((a, r) => a + r.non2xx, 0),
        errors: rs.reduce((a, r) => a + r.errors, 0),
        exposures: rs[0].exposures ? { written: rs.reduce((a, r) => a + r.exposures.written, 0), dropped: rs.reduce((a, r) => a + r.exposures.dropped, 0), drainMsMax: Math.max(...rs.map((r) => r.exposures.drainMs)) } : undefined,
        requests: rs.reduce((a, r) => a + r.requests, 0),
      };
    }
    out.http.serveMemoryAfterLoad = procMemory(serve.pid);
  } finally {
    await stopProcess(serve);
    for (const b of bare) await stopProcess(b);
  }

  // --- 3. Memory of serve holding an empty, the 100- and a 10,000-experiment applied state.
  const big = join(work, 'runtime-10000');
  out.memory.tree10000 = generateTree(big, 10000);
  const states = [
    { key: 'empty', label: 'empty (migrated, nothing applied)', url: await freshPostgres() },
    { key: '100', label: '100 experiments (all running)', url: dbUrl },
    { key: '10000', label: `10,000 experiments (${out.memory.tree10000.resources.toLocaleString('en-US')} resources)`, url: await freshPostgres(), tree: big },
  ];
  for (const s of states) {
    const sEnv = { ...baseEnv, DATABASE_URL: s.url, LABCTL_BENCH_HEAP_OUT: join(work, `heap-${s.key}.json`) };
    if (s.tree) {
      const r = await cli(['apply', '--dir', s.tree], { cwd: work, env: sEnv });
      s.applyMs = r.wall;
    }
    const p = await startServe({ env: sEnv, cwd: work, nodeArgs: ['--expose-gc', '--import', new URL('./heap-probe.js', import.meta.url).href] });
    try {
      await sleep(1500);
      const mem = procMemory(p.pid);
      p.child.kill('SIGUSR2');
      let heap;
      for (let i = 0; i < 50 && !heap; i++) {
        await sleep(100);
        try {
          heap = JSON.parse(readFileSync(sEnv.LABCTL_BENCH_HEAP_OUT, 'utf8'));
        } catch {
          // not written yet
        }
      }
      const mb = (b) => (b === undefined ? undefined : b / 1048576);
      const afterGc = procMemory(p.pid);
      const running = Number(/(\d+) running experiment/.exec(p.output())?.[1]);
      out.memory[s.key] = { label: s.label, running, startMs: p.startedMs, applyMs: s.applyMs, rssMB: mem.rssMB, rssAfterGcMB: afterGc.rssMB, peakRssMB: afterGc.peakRssMB, heapUsedMB: mb(heap?.heapUsed), heapTotalMB: mb(heap?.heapTotal), externalMB: mb(heap?.external) };
      log(`runtime: serve holding ${s.key} (${running} running): RSS ${mem.rssMB?.toFixed(0)} MB, heap used ${mb(heap?.heapUsed)?.toFixed(1)} MB (after GC), ready in ${(p.startedMs / 1000).toFixed(2)} s`);
    } finally {
      await stopProcess(p);
    }
  }

  // --- Targets.
  const t = (name, measured, pass) => out.targets.push({ name, measured, pass });
  const lab = out.assign.labctl.median;
  const gbBest = Math.max(out.assign['gb-client'].median, out.assign['gb-inline'].median);
  const gbBestKey = out.assign['gb-client'].median >= out.assign['gb-inline'].median ? 'evalFeature' : 'runInlineExperiment';
  const fmt = (x) => Math.round(x).toLocaleString('en-US');
  t('in-process assignments ≥ 1,000,000/s (100 running experiments with targeting)', `${fmt(lab)}/s`, lab >= 1_000_000);
  t(`in-process ≥ 5× the GrowthBook SDK (its fastest API here: ${gbBestKey})`, `${(lab / gbBest).toFixed(1)}× (${fmt(gbBest)}/s)`, lab / gbBest >= 5);
  const g = out.http['serve-get'];
  const bg = out.http['bare-get'];
  // Server CPU per request, which the load generator (sharing the cores) cannot cap the way it caps
  // throughput: the median over rounds of bare µs / labctl µs, each round against the bare run just before.
  const cpuRatio = median(g.rounds.map((r, i) => bg.rounds[i].serverCpuUsPerRequest / r.serverCpuUsPerRequest));
  out.http.cpuOfBare = cpuRatio;
  t(
    `HTTP \`GET /v1/assign/{experiment}\` ≥ 80% of a bare node:http server in server CPU per request (${o.connections} connections, exposures logged; median of ${o.httpRounds} interleaved rounds)`,
    `${(cpuRatio * 100).toFixed(0)}% (${g.serverCpuUsPerRequest.toFixed(1)} vs ${bg.serverCpuUsPerRequest.toFixed(1)} µs of server CPU per request); throughput ${(g.ofBare * 100).toFixed(0)}% (${fmt(g.rps)} vs ${fmt(bg.rps)} req/s)`,
    cpuRatio >= 0.8,
  );
  t(`HTTP \`GET /v1/assign/{experiment}\` p99 ≤ 10 ms (${o.connections} connections, exposures logged; worst of ${o.httpRounds} rounds)`, `${g.latencyMs.p99Worst} ms`, g.latencyMs.p99Worst <= 10);
  return out;
}
