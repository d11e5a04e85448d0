// Part 1 of the flow benchmark: the per-turn overhead of labctl over calling the same SDK directly.
// One request at a time, interleaved: (a) a turn through `labctl serve` over HTTP; (b)
// `@anthropic-ai/sdk` `messages.create` from this process with the request labctl sent, against
// the same model server; (c) that request as a bare node:http POST (the wire round trip, no SDK).
import Anthropic from '@anthropic-ai/sdk';
import { Agent } from 'node:http';
import { FlowHttp, percentiles, postJson } from './flow-client.js';
import { ANSWER, checkTurn, FLOW, modelCalls, question } from './flow-project.js';
import { median } from './measure.js';
import { procCpuMs } from './procs.js';

/**
 * opts: { store (a label), pairs, rounds, warmup, sessionTurns, log }. Sessions run sessionTurns
 * turns, then a new one starts (untimed), so the transcript stays the size of a short conversation.
 * The answer lists the sessions it started (`sessions`), for the caller to delete.
 */
export async function sideBySide(serve, llmUrl, { store, pairs, rounds: roundCount, warmup, sessionTurns, log }) {
  const http = new FlowHttp(serve.url, 1);
  const sessions = [];
  let session;
  let used = Infinity;
  let n = 0;
  const labctl = async () => {
    if (used >= sessionTurns) {
      sessions.push((session = (await http.start(FLOW, { user_id: `${store}-${n}` })).body.session));
      used = 0;
    }
    used++;
    const r = await http.send(session, question(n++));
    checkTurn(r);
    return r.ms;
  };
  // The request labctl sends, for the direct calls: read back from the model server.
  await labctl();
  const body = await (await fetch(`${llmUrl}/bench/last`)).json();
  if (body.stream !== undefined) throw new Error(`labctl sent a streamed request: ${JSON.stringify(body)}`);
  // As labctl's provider builds its client (adapters/llm/anthropic.ts): key, base URL, retries, timeout.
  const sdk = new Anthropic({ apiKey: 'sk-ant-bench', authToken: null, baseURL: llmUrl, maxRetries: 2, timeout: 60_000 });
  const direct = async () => {
    const t0 = performance.now();
    const m = await sdk.messages.create(body);
    const ms = performance.now() - t0;
    if (m.content[0]?.text !== ANSWER) throw new Error(`the direct call answered ${JSON.stringify(m).slice(0, 300)}`);
    return ms;
  };
  const rawAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const rawText = JSON.stringify(body);
  const llm = new URL(llmUrl);
  const raw = async () => {
    const r = await postJson(rawAgent, llm, '/v1/messages', rawText, { 'x-api-key': 'sk-ant-bench', 'anthropic-version': '2023-06-01' });
    if (r.status !== 200) throw new Error(`the raw call answered ${r.status}`);
    return r.ms;
  };
  const ways = { labctl, direct, raw };
  // Alternating order, so that neither side always runs just after the other.
  const pair = async (i, into) => {
    for (const k of i % 2 ? ['raw', 'direct', 'labctl'] : ['labctl', 'direct', 'raw']) into[k].push(await ways[k]());
  };
  const warm = { labctl: [], direct: [], raw: [] };
  for (let i = 0; i < warmup; i++) await pair(i, warm);
  const rounds = [];
  const all = { labctl: [], direct: [], raw: [] };
  const calls0 = await modelCalls(llmUrl);
  const cpu0 = procCpuMs(serve.pid);
  const turns0 = n;
  for (let r = 0; r < roundCount; r++) {
    const got = { labctl: [], direct: [], raw: [] };
    for (let i = 0; i < pairs / roundCount; i++) await pair(i, got);
    for (const k of Object.keys(all)) all[k].push(...got[k]);
    rounds.push({ labctl: median(got.labctl), direct: median(got.direct), raw: median(got.raw), overhead: median(got.labctl) - median(got.direct) });
    log(`${store} round ${r + 1}/${roundCount}: labctl ${rounds[r].labctl.toFixed(2)} ms, direct SDK ${rounds[r].direct.toFixed(2)} ms, raw ${rounds[r].raw.toFixed(2)} ms (medians)`);
  }
  const turns = n - turns0;
  const serveCpuMs = procCpuMs(serve.pid) - cpu0;
  const calls = (await modelCalls(llmUrl)) - calls0;
  // One model call per labctl turn, and one per direct and raw call.
  if (calls !== turns + 2 * all.direct.length) throw new Error(`the model server saw ${calls} calls for ${turns} turns and ${2 * all.direct.length} direct ones`);
  http.close();
  rawAgent.destroy();
  const overheads = rounds.map((r) => r.overhead);
  return {
    store,
    labctl: percentiles(all.labctl),
    direct: percentiles(all.direct),
    raw: percentiles(all.raw),
    overheadMs: median(all.labctl) - median(all.direct),
    sdkOverRawMs: median(all.direct) - median(all.raw),
    roundOverheadMs: { min: Math.min(...overheads), median: median(overheads), max: Math.max(...overheads) },
    serveCpuUsPerTurn: (serveCpuMs * 1000) / turns,
    rounds,
    sessions,
  };
}
