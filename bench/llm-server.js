// The model for the flow benchmark: a local server speaking Anthropic's Messages API
// (`POST /v1/messages`, JSON, or SSE when the body says "stream": true) that answers every request
// at once with the same text. It is a bench copy of the wire format the tests' server
// (test/helpers/llm-wire-server.ts) speaks, cut down to one text reply: that one is TypeScript,
// which Node 20 cannot run, and the tests never compile it.
//   node bench/llm-server.js [TEXT]   → prints the port on stdout
// GET /bench/last answers the body of the last request (what labctl sent, for the direct SDK calls
// to send the same); GET /bench/count, how many were answered.
import { createServer } from 'node:http';

const TEXT = process.argv[2] ?? 'Orders ship within two working days, and you can follow yours from the link in your confirmation email.';
const OUTPUT_TOKENS = TEXT.split(/\s+/).length;
let last = null;
let count = 0;
let ids = 0;

const words = (body) => {
  const parts = [typeof body.system === 'string' ? body.system : ''];
  for (const m of body.messages ?? []) parts.push(typeof m.content === 'string' ? m.content : (m.content ?? []).map((c) => c.text ?? '').join(' '));
  return parts.join(' ').split(/\s+/).filter(Boolean).length;
};

function message(body) {
  const id = `msg_bench${(ids++).toString(36)}`;
  const usage = { input_tokens: words(body), output_tokens: OUTPUT_TOKENS, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, service_tier: 'standard' };
  return { id, type: 'message', role: 'assistant', model: body.model, content: [{ type: 'text', text: TEXT, citations: null }], stop_reason: 'end_turn', stop_sequence: null, usage };
}

function stream(res, body) {
  const m = message(body);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': `req_${m.id}` });
  const send = (event, data) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  send('message_start', { type: 'message_start', message: { ...m, content: [], stop_reason: null, usage: { ...m.usage, output_tokens: 1 } } });
  send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '', citations: null } });
  for (const chunk of TEXT.match(/\S+\s*/g)) send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: chunk } });
  send('content_block_stop', { type: 'content_block_stop', index: 0 });
  send('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: m.usage.output_tokens } });
  send('message_stop', { type: 'message_stop' });
  res.end();
}

function json(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'request-id': 'req_bench' });
  res.end(text);
}

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.method === 'GET' && req.url === '/bench/last') return json(res, 200, last);
    if (req.method === 'GET' && req.url === '/bench/count') return json(res, 200, { count });
    if (req.method !== 'POST' || !req.url.startsWith('/v1/messages')) return json(res, 404, { type: 'error', error: { type: 'not_found_error', message: `no route ${req.method} ${req.url}` } });
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return json(res, 400, { type: 'error', error: { type: 'invalid_request_error', message: 'the body is not JSON' } });
    }
    // The checks the real API makes before any model runs, so a request labctl could not send to it fails here too.
    if (!req.headers['x-api-key'] && !req.headers.authorization) return json(res, 401, { type: 'error', error: { type: 'authentication_error', message: 'x-api-key header is required' } });
    for (const field of ['model', 'max_tokens', 'messages']) if (!(field in body)) return json(res, 400, { type: 'error', error: { type: 'invalid_request_error', message: `${field}: Field required` } });
    last = body;
    count++;
    if (body.stream === true) return stream(res, body);
    json(res, 200, message(body));
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
