// Load generator for the prompt render benchmark, in its own process:
//   node bench/prompt-load.js URL SECONDS CONNECTIONS   → one JSON line on stdout
// Every request renders for another customer (the variables differ per request).
import autocannon from 'autocannon';

const [url, seconds, connections] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const bodies = Array.from({ length: 5000 }, (_, i) =>
  JSON.stringify({ variables: { product: `Product ${i % 97}`, customer: `Customer ${i}`, language: i % 2 ? 'English' : 'Dutch', tier: i % 3 ? 'gold' : 'basic', question: `Where is order #${100000 + i}?` } }),
);
let k = 0;
const base = new URL(url);
const run = (s) =>
  new Promise((resolve, reject) =>
    autocannon(
      {
        url: base.origin,
        connections,
        duration: s,
        requests: [{ method: 'POST', path: base.pathname, headers: { 'content-type': 'application/json' }, setupRequest: (req) => ({ ...req, body: bodies[k++ % bodies.length] }) }],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    ),
  );
await run(2);
const r = await run(seconds);
const ok = Object.entries(r.statusCodeStats ?? {}).reduce((n, [code, st]) => n + (code.startsWith('2') ? Number(st.count) : 0), 0);
process.stdout.write(JSON.stringify({ rps: ok / r.duration, non2xx: r.non2xx, errors: r.errors, p50: r.latency.p50, p99: r.latency.p99 }) + '\n');
