// The HTTP baseline: a bare node:http server answering every request with one fixed JSON body and
// the same headers labctl sends (content-type, content-length, x-labctl-revision).
//   node bench/bare-server.js BODY_FILE   → prints the port on stdout
// POST bodies are read to the end before answering, as any JSON service must.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';

const body = readFileSync(process.argv[2]);
const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length, 'x-labctl-revision': 'bare00000000' };
const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const answer = () => {
    res.writeHead(200, headers);
    res.end(body);
  };
  if (req.method === 'POST') {
    req.on('data', () => undefined);
    req.on('end', answer);
  } else answer();
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
