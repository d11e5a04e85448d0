// HTTP clients for the flow benchmark: the flow routes of `labctl serve`, and the raw Messages API
// of the bench's model server; node:http over keep-alive connections, so the client itself costs
// little and the same in every measurement.
import { Agent, request } from 'node:http';

/** POST a JSON body; resolves with { status, body (parsed), ms } or rejects on a network error. */
export function postJson(agent, url, path, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request({ host: url.hostname, port: url.port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers } }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (data += d));
      res.on('end', () => {
        const ms = performance.now() - t0;
        let parsed = data;
        try {
          parsed = JSON.parse(data);
        } catch {
          // left as text, for the error message
        }
        resolve({ status: res.statusCode, body: parsed, ms });
      });
    });
    req.on('error', reject);
    req.end(text);
  });
}

/** The flow routes of one serve. */
export class FlowHttp {
  constructor(base, maxSockets) {
    this.url = new URL(base);
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  /** POST /v1/flows/{flow}/sessions → the answer (throws unless 201). */
  async start(flow, attributes) {
    const r = await postJson(this.agent, this.url, `/v1/flows/${encodeURIComponent(flow)}/sessions`, { attributes });
    if (r.status !== 201) throw new Error(`starting a session answered ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
    return r;
  }

  /** POST /v1/sessions/{id}/messages → { status, body, ms }. */
  send(session, text) {
    return postJson(this.agent, this.url, `/v1/sessions/${encodeURIComponent(session)}/messages`, { text });
  }

  close() {
    this.agent.destroy();
  }
}

/** Percentiles of a list of milliseconds (nearest rank). */
export function percentiles(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  return { n: s.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length) };
}
