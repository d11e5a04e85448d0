import http from 'node:http';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The curl invocations the docs show, issued with node:http and printed as curl prints them: the
 * body; with -i the status line and the headers in the order and case the server sent them; with
 * -w its %{http_code}. Only the options the docs use are understood; any other one fails the test,
 * so a page cannot show a curl the runner silently misreads.
 */
export interface CurlRequest {
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body?: Buffer;
  include: boolean;
  fail: boolean;
  writeOut?: string;
}

/** Parse curl's arguments (already split into words); files named by @FILE are read from cwd. */
export function parseCurl(args: string[], cwd: string): CurlRequest {
  const req: CurlRequest = { method: '', url: '', headers: [], include: false, fail: false };
  const data: Buffer[] = [];
  let raw = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`curl ${a} needs a value`);
      return v;
    };
    if (a === '-X' || a === '--request') req.method = value();
    else if (a === '-H' || a === '--header') {
      const h = value();
      const colon = h.indexOf(':');
      req.headers.push([h.slice(0, colon).trim(), h.slice(colon + 1).trim()]);
    } else if (a === '-d' || a === '--data' || a === '--data-binary') {
      const v = value();
      raw ||= a === '--data-binary';
      const bytes = v.startsWith('@') ? readFileSync(resolve(cwd, v.slice(1))) : Buffer.from(v);
      // -d strips line breaks from a file, as curl does; --data-binary sends it as it is.
      data.push(a === '--data-binary' ? bytes : Buffer.from(bytes.toString('latin1').replace(/[\r\n]/g, ''), 'latin1'));
    } else if (a === '-w' || a === '--write-out') req.writeOut = value();
    else if (a === '--url') req.url = value();
    else if (/^-[siSf]+$/.test(a)) {
      req.include ||= a.includes('i');
      req.fail ||= a.includes('f');
    } else if (a.startsWith('-')) throw new Error(`the docs runner does not know curl option ${a}`);
    else req.url = a;
  }
  if (data.length > 0) {
    req.body = Buffer.concat(data.flatMap((d, i) => (i === 0 ? [d] : [Buffer.from('&'), d])));
    if (!req.headers.some(([k]) => k.toLowerCase() === 'content-type') && !raw) req.headers.push(['Content-Type', 'application/x-www-form-urlencoded']);
  }
  req.method ||= req.body ? 'POST' : 'GET';
  if (!req.url) throw new Error('curl without a URL');
  return req;
}

/** Send the request and return what curl would print, and curl's exit code (22 for -f on >= 400). */
export function sendCurl(req: CurlRequest): Promise<{ output: string; code: number }> {
  const agent = new http.Agent({ keepAlive: true });
  // A raw header list, as curl sends it (Node adds no Host to one).
  const headers: Array<[string, string]> = [['Host', new URL(req.url).host], ['User-Agent', 'curl/8.5.0'], ['Accept', '*/*'], ...req.headers];
  if (req.body) headers.push(['Content-Length', String(req.body.length)]);
  return new Promise((done, reject) => {
    const r = http.request(req.url, { method: req.method, agent, headers: headers.flat() }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        agent.destroy();
        const status = res.statusCode ?? 0;
        if (req.fail && status >= 400) return done({ output: '', code: 22 });
        let output = '';
        if (req.include) {
          output += `HTTP/${res.httpVersion} ${status} ${res.statusMessage}\n`;
          for (let i = 0; i < res.rawHeaders.length; i += 2) output += `${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\n`;
          output += '\n';
        }
        output += Buffer.concat(chunks).toString('utf8');
        if (req.writeOut) output += req.writeOut.replace(/%\{http_code\}/g, String(status)).replace(/\\n/g, '\n');
        done({ output, code: 0 });
      });
    });
    r.on('error', (e) => {
      agent.destroy();
      if ((e as NodeJS.ErrnoException).code === 'ECONNREFUSED') done({ output: `curl: (7) Failed to connect to ${new URL(req.url).host}\n`, code: 7 });
      else reject(e);
    });
    r.end(req.body);
  });
}
