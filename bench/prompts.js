// Prompt benchmark (issue: renders/s of a chat prompt with five variables, target ≥ 200,000/s; and
// HTTP POST /v1/prompts/{name}/render against a bare node:http server in the same run).
//   node bench/prompts.js            (after npx tsc -p .)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compilePrompt } from '../dist/kinds/prompt/catalog.js';
import { promptKind } from '../dist/kinds/prompt/kind.js';
import { nodeJson, startProcess, startServe, stopProcess } from './procs.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const BIN = join(here, '..', 'dist', 'cli', 'bin.js');

const PROMPT = `kind: Prompt
name: bench-support
messages:
  - role: system
    content: |
      You are the support assistant of {{product}} for {{customer}}, a {{tier}} customer.
      Answer in {{language}}, briefly and kindly. Offer a human hand-over if you are unsure.
  - role: user
    content: "{{question}}"
variables:
  product: { type: string }
  customer: { type: string }
  tier: { type: string, default: basic }
  language: { type: string, default: English }
  question: { type: string }
model: { provider: anthropic, name: claude-sonnet-4-5, maxTokens: 500 }
`;

function inProcess() {
  const spec = promptKind.normalise({
    kind: 'Prompt',
    name: 'bench-support',
    messages: [
      { role: 'system', content: 'You are the support assistant of {{product}} for {{customer}}, a {{tier}} customer.\nAnswer in {{language}}, briefly and kindly. Offer a human hand-over if you are unsure.\n' },
      { role: 'user', content: '{{question}}' },
    ],
    variables: { product: { type: 'string' }, customer: { type: 'string' }, tier: { type: 'string', default: 'basic' }, language: { type: 'string', default: 'English' }, question: { type: 'string' } },
    model: { provider: 'anthropic', name: 'claude-sonnet-4-5', maxTokens: 500 },
  });
  const p = compilePrompt('bench-support', spec);
  const inputs = Array.from({ length: 1024 }, (_, i) => ({ product: `Product ${i % 97}`, customer: `Customer ${i}`, tier: i % 3 ? 'gold' : 'basic', language: i % 2 ? 'English' : 'Dutch', question: `Where is order #${100000 + i}?` }));
  let sink = 0;
  const round = (ms) => {
    let n = 0;
    const end = performance.now() + ms;
    while (performance.now() < end) {
      for (let j = 0; j < 1000; j++) sink += p.render(inputs[(n + j) & 1023]).messages[1].content.length;
      n += 1000;
    }
    return (n / ms) * 1000;
  };
  round(500); // warm-up
  const runs = Array.from({ length: 5 }, () => round(1000)).sort((a, b) => a - b);
  if (sink === 0) throw new Error('renders produced nothing');
  return { rendersPerSecond: runs[2], runs };
}

async function http() {
  const dir = mkdtempSync(join(tmpdir(), 'labctl-bench-prompts-'));
  mkdirSync(join(dir, 'prompts'));
  writeFileSync(join(dir, 'prompts', 'bench.yaml'), PROMPT);
  const env = { ...process.env, DATABASE_URL: '', NO_COLOR: '1', LABCTL_ACTOR: 'bench' };
  execFileSync(process.execPath, [BIN, 'apply'], { cwd: dir, env, stdio: 'ignore' });
  const serve = await startServe({ env, cwd: dir });
  const sample = await (
    await fetch(`${serve.url}/v1/prompts/bench-support/render`, { method: 'POST', body: JSON.stringify({ variables: { product: 'Acme', customer: 'C1', question: 'Where is order #100001?' } }) })
  ).text();
  const bodyFile = join(dir, 'bare-body.json');
  writeFileSync(bodyFile, sample);
  const bare = await startProcess([process.execPath, join(here, 'bare-server.js'), bodyFile], { ready: /^(\d+)$/m, name: 'bare server' });
  const load = (url) => nodeJson(join(here, 'prompt-load.js'), [url, '10', '50']);
  try {
    const labctl = await load(`${serve.url}/v1/prompts/bench-support/render`);
    const baseline = await load(`http://127.0.0.1:${bare.match}/render`);
    return { labctl, bare: baseline, ratio: labctl.rps / baseline.rps, responseBytes: sample.length };
  } finally {
    await stopProcess(serve);
    await stopProcess(bare);
    rmSync(dir, { recursive: true, force: true });
  }
}

const started = new Date().toISOString();
const load0 = (await import('node:os')).loadavg();
const inproc = inProcess();
const web = await http();
const result = { started, cpus: cpus().length, node: process.version, loadavg: load0, inProcess: inproc, http: web };
const f = (x) => Math.round(x).toLocaleString('en-US');
process.stdout.write(
  [
    `Prompt benchmark ${started} (load average ${load0.map((x) => x.toFixed(1)).join(' / ')}, ${cpus().length} CPUs, Node ${process.version})`,
    '',
    '| measure | labctl | baseline | target | result |',
    '|---|---:|---:|---|---|',
    `| in-process renders/s (chat prompt, 5 variables; median of 5 × 1 s) | ${f(inproc.rendersPerSecond)} | — | ≥ 200,000/s | ${inproc.rendersPerSecond >= 200_000 ? 'pass' : 'FAIL'} |`,
    `| HTTP POST /v1/prompts/{name}/render, req/s at 50 connections | ${f(web.labctl.rps)} | ${f(web.bare.rps)} (bare node:http, same ${web.responseBytes}-byte body) | report | ${(web.ratio * 100).toFixed(0)}% of bare |`,
    `| HTTP render latency p50 / p99 | ${web.labctl.p50} / ${web.labctl.p99} ms | ${web.bare.p50} / ${web.bare.p99} ms | — | — |`,
    '',
    JSON.stringify(result),
  ].join('\n') + '\n',
);
