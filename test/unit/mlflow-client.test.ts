import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { isPromptEntry, MlflowError, mlflowConfigFromEnv, type MlflowClientOptions } from '../../adapters/mlflow/index.js';
import { closedPort, sendJson, startStub, type StubRequest, type StubServer } from '../helpers/mlflow.js';
import { MlflowTestClient } from '../helpers/mlflow-test-client.js';

// The client against a local node:http server answering as MLflow does (or as a proxy in front of
// it would): error mapping, retries, non-JSON answers and timeouts. No MLflow needed.

let stub: StubServer | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

async function serve(handler: Parameters<typeof startStub>[0]): Promise<StubServer> {
  stub = await startStub(handler);
  return stub;
}

/** A client with instant, recorded backoff sleeps. */
function client(url: string, opts: Partial<MlflowClientOptions> = {}): { c: MlflowTestClient; sleeps: number[] } {
  const sleeps: number[] = [];
  const c = new MlflowTestClient({ trackingUri: url, maxRetries: 3, backoffMs: 100, maxBackoffMs: 1000, sleep: async (ms) => void sleeps.push(ms), ...opts });
  return { c, sleeps };
}

async function failure(p: Promise<unknown>): Promise<MlflowError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(MlflowError);
  return e as MlflowError;
}

const MODEL = { name: 'p', description: 'd', creation_timestamp: 1, last_updated_timestamp: 2, tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }], aliases: [{ alias: 'production', version: '3' }] };
const VERSION = (v: string) => ({ name: 'p', version: v, source: 's', status: 'READY', tags: [{ key: 'labctl.version', value: `h${v}` }], aliases: [] });

describe('MLflow error mapping', () => {
  it('maps RESOURCE_ALREADY_EXISTS sent with HTTP 400 to a typed error, without retrying', async () => {
    const s = await serve((_r, res) => sendJson(res, 400, { error_code: 'RESOURCE_ALREADY_EXISTS', message: "Registered Model (name=p) already exists." }));
    const { c, sleeps } = client(s.url);
    const e = await failure(c.createRegisteredModel({ name: 'p' }));
    expect(e.code).toBe('RESOURCE_ALREADY_EXISTS');
    expect(e.status).toBe(400);
    expect(e.isAlreadyExists).toBe(true);
    expect(e.retryable).toBe(false);
    expect(e.endpoint).toBe('POST /api/2.0/mlflow/registered-models/create');
    expect(e.message).toContain('already exists');
    expect(s.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('maps RESOURCE_DOES_NOT_EXIST (404): get returns undefined, writes throw isNotFound', async () => {
    const s = await serve((_r, res) => sendJson(res, 404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Registered Model with name=p not found' }));
    const { c } = client(s.url);
    expect(await c.getRegisteredModel('p')).toBeUndefined();
    const e = await failure(c.setRegisteredModelTag('p', 'k', 'v'));
    expect(e.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(e.status).toBe(404);
    expect(e.isNotFound).toBe(true);
    expect(s.requests).toHaveLength(2);
  });

  it('reads a missing alias (INVALID_PARAMETER_VALUE "… not found") as undefined, other invalid parameters as errors', async () => {
    const s = await serve((r, res) =>
      r.url.includes('alias=production')
        ? sendJson(res, 400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'Registered model alias production not found.' })
        : sendJson(res, 400, { error_code: 'INVALID_PARAMETER_VALUE', message: "Invalid alias name: 'latest'." }),
    );
    const { c } = client(s.url);
    expect(await c.getModelVersionByAlias('p', 'production')).toBeUndefined();
    const e = await failure(c.getModelVersionByAlias('p', 'latest'));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('names a 401 without an MLflow body as an authentication problem with the variables to set', async () => {
    const s = await serve((_r, res) => {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Basic realm="mlflow"' });
      res.end('You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html');
    });
    const { c } = client(s.url);
    const e = await failure(c.getRegisteredModel('p'));
    expect(e.code).toBe('UNAUTHENTICATED');
    expect(e.isAuthError).toBe(true);
    expect(e.message).toContain('MLFLOW_TRACKING_TOKEN');
    expect(s.requests).toHaveLength(1);
  });
});

describe('MLflow retries', () => {
  it('retries a 429 and succeeds, honouring Retry-After', async () => {
    const s = await serve((_r, res, n) =>
      n === 1 ? sendJson(res, 429, { error_code: 'REQUEST_LIMIT_EXCEEDED', message: 'slow down' }, { 'retry-after': '0' }) : sendJson(res, 200, { registered_model: MODEL }),
    );
    const { c, sleeps } = client(s.url);
    const m = await c.getRegisteredModel('p');
    expect(m).toEqual({ name: 'p', description: 'd', creationTimestamp: 1, lastUpdatedTimestamp: 2, tags: { 'mlflow.prompt.is_prompt': 'true' }, aliases: { production: '3' } });
    expect(s.requests).toHaveLength(2);
    expect(sleeps).toEqual([0]);
  });

  it('backs off exponentially on 5xx and gives up after maxRetries with the last error', async () => {
    const s = await serve((_r, res) => sendJson(res, 503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'database is locked' }));
    const { c, sleeps } = client(s.url);
    const e = await failure(c.searchModelVersions({ filter: "name = 'p'" }));
    expect(e.code).toBe('TEMPORARILY_UNAVAILABLE');
    expect(e.status).toBe(503);
    expect(s.requests).toHaveLength(4);
    expect(sleeps).toHaveLength(3);
    // Jittered doubling: [50,100), [100,200), [200,400).
    sleeps.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(50 * 2 ** i);
      expect(ms).toBeLessThanOrEqual(100 * 2 ** i);
    });
  });

  it('does not repeat a version create after a 500 (it may have happened), but does after a 503', async () => {
    const s = await serve((_r, res, n) => (n === 1 ? sendJson(res, 500, { error_code: 'INTERNAL_ERROR', message: 'boom' }) : sendJson(res, 200, { model_version: VERSION('1') })));
    const { c } = client(s.url);
    const e = await failure(c.createModelVersion({ name: 'p', source: 's' }));
    expect(e.code).toBe('INTERNAL_ERROR');
    expect(s.requests).toHaveLength(1);

    const s2 = await startStub((_r, res, n) => (n === 1 ? sendJson(res, 503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'busy' }) : sendJson(res, 200, { model_version: VERSION('1') })));
    try {
      const made = await client(s2.url).c.createModelVersion({ name: 'p', source: 's' });
      expect(made.version).toBe('1');
      expect(s2.requests).toHaveLength(2);
    } finally {
      await s2.close();
    }
  });

  it('retries connection failures and then reports that nothing answered', async () => {
    const port = await closedPort();
    const { c, sleeps } = client(`http://127.0.0.1:${port}`, { maxRetries: 2 });
    const e = await failure(c.getRegisteredModel('p'));
    expect(e.code).toBe('NETWORK_ERROR');
    expect(e.status).toBe(0);
    expect(e.unsent).toBe(true);
    expect(e.message).toContain(`cannot reach MLflow at http://127.0.0.1:${port}/`);
    expect(e.message).toContain('ECONNREFUSED');
    expect(sleeps).toHaveLength(2);
  });
});

describe('answers that are not MLflow JSON', () => {
  it('reports an HTML 502 of a proxy clearly (after retrying it)', async () => {
    const s = await serve((_r, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>');
    });
    const { c } = client(s.url);
    const e = await failure(c.getModelVersionByAlias('p', 'production'));
    expect(e.code).toBe('NON_JSON_RESPONSE');
    expect(e.status).toBe(502);
    expect(e.message).toContain('HTTP 502');
    expect(e.message).toContain('"502 Bad Gateway"');
    expect(e.message).toContain('text/html');
    expect(e.message).toMatch(/proxy/);
    expect(e.message).not.toContain('<html>');
    expect(s.requests).toHaveLength(4);
  });

  it('refuses a 200 that is not JSON (a login page or the UI instead of the API)', async () => {
    const s = await serve((_r, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>Sign in</title><form>…</form>');
    });
    const { c } = client(s.url);
    const e = await failure(c.getRegisteredModel('p'));
    expect(e.code).toBe('NON_JSON_RESPONSE');
    expect(e.status).toBe(200);
    expect(e.message).toContain('"Sign in"');
    expect(s.requests).toHaveLength(1);
  });
});

describe('timeouts', () => {
  it('gives up on a server that never answers', async () => {
    const s = await serve(() => undefined); // accepts and hangs
    const { c } = client(s.url, { timeoutMs: 200, maxRetries: 0 });
    const started = Date.now();
    const e = await failure(c.getRegisteredModel('p'));
    expect(e.code).toBe('TIMEOUT');
    expect(e.retryable).toBe(true);
    expect(e.message).toContain('did not answer GET /api/2.0/mlflow/registered-models/get within 0.2 s');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('times out a body that stops half-way, and retries the timeout of a read', async () => {
    const s = await serve((_r, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"registered_model": ');
    });
    const { c, sleeps } = client(s.url, { timeoutMs: 200, maxRetries: 1 });
    const e = await failure(c.getRegisteredModel('p'));
    expect(e.code).toBe('TIMEOUT');
    expect(s.requests).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
  });
});

describe('cancelling', () => {
  it('stops a hanging request and the retries at once when the client signal aborts', async () => {
    const s = await serve(() => undefined);
    const stop = new AbortController();
    const c = new MlflowTestClient({ trackingUri: s.url, timeoutMs: 60_000, maxRetries: 5, signal: stop.signal });
    const started = Date.now();
    setTimeout(() => stop.abort(new Error('the watcher is stopping')), 100);
    await expect(c.getRegisteredModel('p')).rejects.toThrow('the watcher is stopping');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(s.requests).toHaveLength(1);
    await expect(c.getRegisteredModel('p')).rejects.toThrow('the watcher is stopping');
    expect(s.requests).toHaveLength(1);
  });
});

describe('requests', () => {
  it('sends MLflow wire shapes under the tracking URI path and follows search page tokens', async () => {
    const s = await serve((r, res) => {
      const u = new URL(r.url, 'http://x');
      if (u.pathname.endsWith('/model-versions/search')) {
        const token = u.searchParams.get('page_token');
        const page = token === null ? 1 : Number(token);
        return sendJson(res, 200, { model_versions: [VERSION(String(page))], ...(page < 3 ? { next_page_token: String(page + 1) } : {}) });
      }
      if (u.pathname.endsWith('/model-versions/create')) return sendJson(res, 200, { model_version: VERSION('7') });
      return sendJson(res, 200, {});
    });
    const { c } = client(`${s.url}/mlflow`);
    const all = await c.searchAllModelVersions({ filter: "name = 'p' AND tags.`labctl.version` = 'h1'", maxResults: 1 });
    expect(all.map((v) => v.version)).toEqual(['1', '2', '3']);
    expect(all[0]!.tags).toEqual({ 'labctl.version': 'h1' });
    const first = new URL(s.requests[0]!.url, 'http://x');
    expect(first.pathname).toBe('/mlflow/api/2.0/mlflow/model-versions/search');
    expect(first.searchParams.get('filter')).toBe("name = 'p' AND tags.`labctl.version` = 'h1'");
    expect(first.searchParams.get('max_results')).toBe('1');
    expect(new URL(s.requests[2]!.url, 'http://x').searchParams.get('page_token')).toBe('3');

    const page = await c.searchModelVersions({ pageToken: '3' });
    expect(page.nextPageToken).toBeUndefined();

    const made = await c.createModelVersion({ name: 'p', source: 'labctl://prompts/p@h', description: 'x', tags: { a: '1', b: '2' } });
    expect(made.version).toBe('7');
    await c.setAlias('p', 'production', '7');
    await c.setModelVersionTag('p', '7', 'k', 'v');
    const bodies = (r: StubRequest) => ({ method: r.method, path: new URL(r.url, 'http://x').pathname, body: JSON.parse(r.body) as unknown, type: r.headers['content-type'] });
    expect(s.requests.slice(-3).map(bodies)).toEqual([
      { method: 'POST', path: '/mlflow/api/2.0/mlflow/model-versions/create', type: 'application/json', body: { name: 'p', source: 'labctl://prompts/p@h', description: 'x', tags: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] } },
      { method: 'POST', path: '/mlflow/api/2.0/mlflow/registered-models/alias', type: 'application/json', body: { name: 'p', alias: 'production', version: '7' } },
      { method: 'POST', path: '/mlflow/api/2.0/mlflow/model-versions/set-tag', type: 'application/json', body: { name: 'p', version: '7', key: 'k', value: 'v' } },
    ]);
    expect(s.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
  });
});

describe('configuration from the environment', () => {
  it('is absent without MLFLOW_TRACKING_URI (empty counts as unset)', () => {
    expect(mlflowConfigFromEnv({})).toBeUndefined();
    expect(mlflowConfigFromEnv({ MLFLOW_TRACKING_URI: '  ' })).toBeUndefined();
  });

  it('prefers MLFLOW_TRACKING_TOKEN over a username and password, and takes credentials out of the URI', () => {
    expect(mlflowConfigFromEnv({ MLFLOW_TRACKING_URI: 'https://ml.example.com', MLFLOW_TRACKING_TOKEN: 't', MLFLOW_TRACKING_USERNAME: 'u', MLFLOW_TRACKING_PASSWORD: 'p' })?.auth).toEqual({ kind: 'bearer', token: 't' });
    expect(mlflowConfigFromEnv({ MLFLOW_TRACKING_URI: 'https://ml.example.com', MLFLOW_TRACKING_USERNAME: 'u', MLFLOW_TRACKING_PASSWORD: 'p' })?.auth).toEqual({ kind: 'basic', username: 'u', password: 'p' });
    const fromUri = mlflowConfigFromEnv({ MLFLOW_TRACKING_URI: 'https://al%40ice:s3cret@ml.example.com/prefix?x=1' })!;
    expect(fromUri.trackingUri).toBe('https://ml.example.com/prefix/');
    expect(fromUri.auth).toEqual({ kind: 'basic', username: 'al@ice', password: 's3cret' });
  });

  it('reads MLflow’s timeout and retry variables, and refuses a tracking URI that is not an HTTP server', () => {
    const c = mlflowConfigFromEnv({ MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000', MLFLOW_HTTP_REQUEST_TIMEOUT: '5', MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' })!;
    expect(c).toMatchObject({ timeoutMs: 5000, maxRetries: 0 });
    for (const uri of ['file:///tmp/mlruns', 'databricks', 'sqlite:///mlflow.db']) {
      expect(() => mlflowConfigFromEnv({ MLFLOW_TRACKING_URI: uri })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    }
    expect(() => mlflowConfigFromEnv({ MLFLOW_TRACKING_URI: 'http://h', MLFLOW_HTTP_REQUEST_MAX_RETRIES: 'many' })).toThrow(/MLFLOW_HTTP_REQUEST_MAX_RETRIES/);
  });
});

/** The parsed URL of a recorded request. */
const urlOf = (r: StubRequest) => new URL(r.url, 'http://x');
/** Answer after ms milliseconds (unless the connection is gone by then). */
const later = (res: ServerResponse, ms: number, status: number, body: unknown) =>
  setTimeout(() => {
    if (!res.destroyed) sendJson(res, status, body);
  }, ms);
/** p, or a rejection after ms: for asserting that something does not hang. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

describe('more error mapping', () => {
  it('waits as long as Retry-After says (not the backoff) on a 429', async () => {
    const s = await serve((_r, res, n) =>
      n === 1 ? sendJson(res, 429, { error_code: 'REQUEST_LIMIT_EXCEEDED', message: 'slow down' }, { 'retry-after': '3' }) : sendJson(res, 200, { registered_model: MODEL }),
    );
    const { c, sleeps } = client(s.url, { maxBackoffMs: 500 });
    expect((await c.getRegisteredModel('p'))?.name).toBe('p');
    expect(sleeps).toEqual([3000]);
    expect(s.requests).toHaveLength(2);
  });

  it('gives up on a 429 after maxRetries with REQUEST_LIMIT_EXCEEDED, even for a create', async () => {
    const s = await serve((_r, res) => sendJson(res, 429, { error_code: 'REQUEST_LIMIT_EXCEEDED', message: 'slow down' }));
    const { c, sleeps } = client(s.url, { maxRetries: 2 });
    const e = await failure(c.createRun({ experimentId: '1' }));
    expect(e.code).toBe('REQUEST_LIMIT_EXCEEDED');
    expect(e.status).toBe(429);
    expect(s.requests).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
  });

  it('maps RESOURCE_ALREADY_EXISTS of an experiment create, and reads a missing experiment as undefined', async () => {
    const s = await serve((r, res) =>
      urlOf(r).pathname.endsWith('/experiments/create')
        ? sendJson(res, 400, { error_code: 'RESOURCE_ALREADY_EXISTS', message: 'Experiment(name=e) already exists. Error: (raised as a result of …)\n(sqlite3.IntegrityError) UNIQUE constraint failed' })
        : sendJson(res, 404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: "Could not find experiment with name 'e'" }),
    );
    const { c } = client(s.url);
    const e = await failure(c.createExperiment('e'));
    expect(e.isAlreadyExists).toBe(true);
    expect(e.status).toBe(400);
    expect(e.message).not.toContain('sqlite3');
    expect(await c.getExperimentByName('e')).toBeUndefined();
    expect(urlOf(s.requests[1]!).searchParams.get('experiment_name')).toBe('e');
    expect(s.requests).toHaveLength(2);
  });

  it('does not repeat a run create after a 500, but does repeat a log-batch with the same body', async () => {
    const s = await serve((_r, res, n) => (n === 1 || n === 2 ? sendJson(res, 500, { error_code: 'INTERNAL_ERROR', message: 'boom' }) : sendJson(res, 200, {})));
    const { c } = client(s.url);
    expect((await failure(c.createRun({ experimentId: '1' }))).code).toBe('INTERNAL_ERROR');
    expect(s.requests).toHaveLength(1);
    await c.logBatch('r1', { metrics: [{ key: 'loss', value: 0.5 }] });
    expect(s.requests).toHaveLength(3);
    expect(s.requests[2]!.body).toBe(s.requests[1]!.body);
  });

  it('does not repeat a log-batch with a NaN after a 500 (MLflow 3.1.1 refuses an identical NaN point)', async () => {
    const s = await serve((_r, res, n) => (n === 1 ? sendJson(res, 500, { error_code: 'INTERNAL_ERROR', message: 'boom' }) : sendJson(res, 200, {})));
    const { c } = client(s.url);
    expect((await failure(c.logBatch('r1', { metrics: [{ key: 'loss', value: Number.NaN }] }))).code).toBe('INTERNAL_ERROR');
    expect(s.requests).toHaveLength(1);
  });
});

describe('authentication headers', () => {
  it('sends Bearer for a token, Basic for a username and password or credentials in the URI, and nothing otherwise', async () => {
    const s = await serve((_r, res) => sendJson(res, 200, { registered_model: MODEL }));
    const port = new URL(s.url).port;
    const auth = async (c: MlflowTestClient) => {
      const before = s.requests.length;
      await c.getRegisteredModel('p');
      expect(s.requests).toHaveLength(before + 1);
      return s.requests[before]!.headers.authorization;
    };
    expect(await auth(new MlflowTestClient({ trackingUri: s.url, auth: { kind: 'bearer', token: 'tok-1' } }))).toBe('Bearer tok-1');
    expect(await auth(new MlflowTestClient({ trackingUri: s.url, auth: { kind: 'basic', username: 'al@ice', password: 'pa:ss' } }))).toBe(`Basic ${Buffer.from('al@ice:pa:ss').toString('base64')}`);
    expect(await auth(new MlflowTestClient({ trackingUri: `http://bob:s3cret@127.0.0.1:${port}` }))).toBe(`Basic ${Buffer.from('bob:s3cret').toString('base64')}`);
    expect(await auth(new MlflowTestClient({ trackingUri: s.url }))).toBeUndefined();
    const env = { MLFLOW_TRACKING_URI: `http://u:p@127.0.0.1:${port}`, MLFLOW_TRACKING_TOKEN: 'tok-2', MLFLOW_TRACKING_USERNAME: 'x' };
    expect(await auth(MlflowTestClient.fromEnv(env)!)).toBe('Bearer tok-2');
    expect(await auth(MlflowTestClient.fromEnv({ MLFLOW_TRACKING_URI: s.url, MLFLOW_TRACKING_USERNAME: 'u', MLFLOW_TRACKING_PASSWORD: 'p' })!)).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
  });
});

describe('bounded concurrency', () => {
  /** A stub that answers after delayMs and records the most requests it had open at once. */
  async function slowStub(delayMs: number): Promise<{ s: StubServer; max: () => number }> {
    let open = 0;
    let max = 0;
    const s = await serve((_r, res) => {
      open++;
      max = Math.max(max, open);
      setTimeout(() => {
        open--;
        sendJson(res, 200, { registered_model: MODEL });
      }, delayMs);
    });
    return { s, max: () => max };
  }

  it('keeps at most `concurrency` requests in flight and still answers every call', async () => {
    const { s, max } = await slowStub(40);
    const { c } = client(s.url, { concurrency: 3 });
    expect(c.concurrency).toBe(3);
    const all = await Promise.all(Array.from({ length: 12 }, (_, i) => c.getRegisteredModel(`m${i}`)));
    expect(all.every((m) => m?.name === 'p')).toBe(true);
    expect(s.requests).toHaveLength(12);
    expect(max()).toBe(3);
  });

  it('defaults to 8 in flight', async () => {
    const { s, max } = await slowStub(40);
    const { c } = client(s.url);
    expect(c.concurrency).toBe(8);
    await Promise.all(Array.from({ length: 20 }, (_, i) => c.getRegisteredModel(`m${i}`)));
    expect(s.requests).toHaveLength(20);
    expect(max()).toBe(8);
  });

  it('refuses a concurrency below 1', () => {
    for (const concurrency of [0, -1, 1.5, Number.NaN]) {
      expect(() => new MlflowTestClient({ trackingUri: 'http://127.0.0.1:1', concurrency })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    }
  });

  it('gives the slot back while a retry waits out its backoff', async () => {
    const s = await serve((r, res) => {
      const name = urlOf(r).searchParams.get('name');
      const tries = s.requests.filter((q) => urlOf(q).searchParams.get('name') === name).length;
      if (name === 'a' && tries === 1) return sendJson(res, 503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'busy' });
      sendJson(res, 200, { registered_model: { ...MODEL, name } });
    });
    let release: (() => void) | undefined;
    let sleepStarted!: () => void;
    const started = new Promise<void>((r) => (sleepStarted = r));
    const c = new MlflowTestClient({
      trackingUri: s.url,
      concurrency: 1,
      maxRetries: 2,
      sleep: (ms) =>
        new Promise<void>((r) => {
          expect(ms).toBeGreaterThan(0);
          release = r;
          sleepStarted();
        }),
    });
    const a = c.getRegisteredModel('a');
    await within(started, 5000, "a's backoff");
    // a is asleep between attempts: with the only slot free, b gets through.
    const b = await within(c.getRegisteredModel('b'), 5000, 'b while a backs off');
    expect(b?.name).toBe('b');
    release!();
    expect((await a)?.name).toBe('a');
    expect(s.requests.map((r) => urlOf(r).searchParams.get('name'))).toEqual(['a', 'b', 'a']);
  });

  it('drops a queued request at once when its signal aborts, without sending it', async () => {
    const s = await serve(() => undefined); // hangs
    const { c } = client(s.url, { concurrency: 1, timeoutMs: 60_000 });
    const first = new AbortController();
    const queued = new AbortController();
    const p1 = c.request('GET', 'registered-models/get', { query: { name: 'a' }, idempotent: true, signal: first.signal });
    const p2 = c.request('GET', 'registered-models/get', { query: { name: 'b' }, idempotent: true, signal: queued.signal });
    await new Promise((r) => setTimeout(r, 100));
    expect(s.requests).toHaveLength(1);
    queued.abort(new Error('caller gave up'));
    await expect(within(p2, 2000, 'the queued request')).rejects.toThrow('caller gave up');
    first.abort(new Error('stop'));
    await expect(within(p1, 2000, 'the hanging request')).rejects.toThrow('stop');
    // The slot is free again and the aborted request was never sent.
    await new Promise((r) => setTimeout(r, 50));
    expect(s.requests.map((r) => urlOf(r).searchParams.get('name'))).toEqual(['a']);
  });
});

describe('request accounting', () => {
  it('counts every HTTP attempt per endpoint, retries included, and resets', async () => {
    const s = await serve((r, res, n) => {
      if (n === 1) return sendJson(res, 503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'busy' });
      if (urlOf(r).pathname.endsWith('/registered-models/get')) return sendJson(res, 200, { registered_model: MODEL });
      sendJson(res, 200, {});
    });
    const { c } = client(s.url);
    expect(c.stats).toEqual({ requests: 0, byEndpoint: {} });
    await c.getRegisteredModel('p');
    await c.setAlias('p', 'production', '3');
    await c.setAlias('p', 'staging', '3');
    await c.deleteAlias('p', 'staging');
    const stats = c.stats;
    expect(stats).toEqual({
      requests: 5,
      byEndpoint: {
        'GET /api/2.0/mlflow/registered-models/get': 2,
        'POST /api/2.0/mlflow/registered-models/alias': 2,
        'DELETE /api/2.0/mlflow/registered-models/alias': 1,
      },
    });
    expect(s.requests).toHaveLength(stats.requests);
    stats.byEndpoint['GET /api/2.0/mlflow/registered-models/get'] = 99; // a copy: changes nothing
    expect(c.stats.byEndpoint['GET /api/2.0/mlflow/registered-models/get']).toBe(2);
    c.resetStats();
    expect(c.stats).toEqual({ requests: 0, byEndpoint: {} });
    await c.getRegisteredModel('p');
    expect(c.stats).toEqual({ requests: 1, byEndpoint: { 'GET /api/2.0/mlflow/registered-models/get': 1 } });
  });
});

describe('registered-model search', () => {
  const model = (name: string, tags: Array<{ key: string; value: string }> = []) => ({ name, tags, aliases: [] });

  it('tells prompt entries by their tag', () => {
    expect(isPromptEntry({ 'mlflow.prompt.is_prompt': 'true' })).toBe(true);
    expect(isPromptEntry({ 'mlflow.prompt.is_prompt': 'True' })).toBe(true);
    expect(isPromptEntry({ 'mlflow.prompt.is_prompt': 'false' })).toBe(false);
    expect(isPromptEntry({ other: 'true' })).toBe(false);
    expect(isPromptEntry({})).toBe(false);
  });

  it('drops prompt entries an older server returns, on every page, and follows page tokens', async () => {
    // An MLflow 2.x server: prompts come back from a model search like models.
    const pages: Record<string, { registered_models: unknown[]; next_page_token?: string }> = {
      first: { registered_models: [model('a'), model('p1', [{ key: 'mlflow.prompt.is_prompt', value: 'true' }])], next_page_token: 't2' },
      t2: { registered_models: [model('p2', [{ key: 'mlflow.prompt.is_prompt', value: 'true' }]), model('b', [{ key: 'mlflow.prompt.is_prompt', value: 'false' }])], next_page_token: 't3' },
      t3: { registered_models: [model('p3', [{ key: 'mlflow.prompt.is_prompt', value: 'true' }])] },
    };
    const s = await serve((r, res) => sendJson(res, 200, pages[urlOf(r).searchParams.get('page_token') ?? 'first']));
    const { c } = client(s.url);
    const all = await c.searchAllRegisteredModels({ filter: "name LIKE '%'", orderBy: ['name ASC', 'last_updated_timestamp DESC'] });
    expect(all.map((m) => m.name)).toEqual(['a', 'b']);
    expect(s.requests).toHaveLength(3);
    const q = urlOf(s.requests[0]!).searchParams;
    expect(urlOf(s.requests[0]!).pathname).toBe('/api/2.0/mlflow/registered-models/search');
    expect(q.get('max_results')).toBe('1000');
    expect(q.get('filter')).toBe("name LIKE '%'");
    expect(q.getAll('order_by')).toEqual(['name ASC', 'last_updated_timestamp DESC']);
    expect(q.get('page_token')).toBeNull();
    expect(urlOf(s.requests[2]!).searchParams.get('page_token')).toBe('t3');

    const page = await c.searchRegisteredModels({ pageToken: 't2', maxResults: 2 });
    expect(page.registeredModels.map((m) => m.name)).toEqual(['b']);
    expect(page.nextPageToken).toBe('t3');
    expect(urlOf(s.requests[3]!).searchParams.get('max_results')).toBe('2');
    expect((await c.searchRegisteredModels({ pageToken: 't3' })).registeredModels).toEqual([]);
  });

  it('stops after maxPages when the server never ends', async () => {
    const s = await serve((_r, res, n) => sendJson(res, 200, { registered_models: [model(`m${n}`)], next_page_token: `t${n}` }));
    const { c } = client(s.url);
    const e = await failure(c.searchAllRegisteredModels({ maxPages: 3 }));
    expect(e.code).toBe('INVALID_STATE');
    expect(s.requests).toHaveLength(3);
  });
});

describe('model versions, aliases and tags', () => {
  it('reads one version, undefined when MLflow says it does not exist', async () => {
    const s = await serve((r, res) =>
      urlOf(r).searchParams.get('version') === '2'
        ? sendJson(res, 200, { model_version: { ...VERSION('2'), run_id: 'r1', current_stage: 'None', creation_timestamp: '5' } })
        : sendJson(res, 404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Model Version (name=p, version=9) not found' }),
    );
    const { c } = client(s.url);
    expect(await c.getModelVersion('p', '2')).toMatchObject({ name: 'p', version: '2', runId: 'r1', creationTimestamp: 5, tags: { 'labctl.version': 'h2' } });
    expect(await c.getModelVersion('p', '9')).toBeUndefined();
    expect(urlOf(s.requests[0]!).pathname).toBe('/api/2.0/mlflow/model-versions/get');
    expect(Object.fromEntries(urlOf(s.requests[0]!).searchParams)).toEqual({ name: 'p', version: '2' });
  });

  it('deletes an alias as MLflow 3.1.1 answers it: a missing alias or model is done, a reserved name is an error', async () => {
    const s = await serve((r, res) => {
      const { name, alias } = JSON.parse(r.body) as { name: string; alias: string };
      if (alias === 'latest') return sendJson(res, 400, { error_code: 'INVALID_PARAMETER_VALUE', message: "'latest' alias name (case insensitive) is reserved." });
      if (name === 'gone') return sendJson(res, 404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Registered Model with name=gone not found' });
      sendJson(res, 200, {}); // also for an alias that was never set
    });
    const { c } = client(s.url);
    await c.deleteAlias('p', 'never-set');
    await c.deleteAlias('gone', 'production');
    const e = await failure(c.deleteAlias('p', 'latest'));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(s.requests.map((r) => ({ method: r.method, path: urlOf(r).pathname, type: r.headers['content-type'], body: JSON.parse(r.body) as unknown }))).toEqual([
      { method: 'DELETE', path: '/api/2.0/mlflow/registered-models/alias', type: 'application/json', body: { name: 'p', alias: 'never-set' } },
      { method: 'DELETE', path: '/api/2.0/mlflow/registered-models/alias', type: 'application/json', body: { name: 'gone', alias: 'production' } },
      { method: 'DELETE', path: '/api/2.0/mlflow/registered-models/alias', type: 'application/json', body: { name: 'p', alias: 'latest' } },
    ]);
  });

  it('deletes model and version tags with DELETE and a JSON body; a missing model stays an error', async () => {
    const s = await serve((r, res) =>
      (JSON.parse(r.body) as { name: string }).name === 'gone' ? sendJson(res, 404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'not found' }) : sendJson(res, 200, {}),
    );
    const { c } = client(s.url);
    await c.deleteRegisteredModelTag('p', 'team');
    await c.deleteModelVersionTag('p', '3', 'labctl.version');
    expect((await failure(c.deleteRegisteredModelTag('gone', 'team'))).isNotFound).toBe(true);
    expect(s.requests.slice(0, 2).map((r) => [r.method, urlOf(r).pathname, JSON.parse(r.body) as unknown])).toEqual([
      ['DELETE', '/api/2.0/mlflow/registered-models/delete-tag', { name: 'p', key: 'team' }],
      ['DELETE', '/api/2.0/mlflow/model-versions/delete-tag', { name: 'p', version: '3', key: 'labctl.version' }],
    ]);
  });
});

describe('runs', () => {
  const WIRE_RUN = {
    info: { run_uuid: 'r1', run_id: 'r1', experiment_id: '4', run_name: 'train', status: 'FINISHED', start_time: 1000, end_time: '2000', artifact_uri: 'mlflow-artifacts:/4/r1/artifacts', lifecycle_stage: 'active' },
    data: {
      metrics: [
        { key: 'acc', value: 0.9, timestamp: 3, step: 2 },
        { key: 'loss', value: 'NaN', timestamp: 4, step: 7 },
      ],
      params: [{ key: 'lr', value: '0.1' }],
      tags: [{ key: 'mlflow.runName', value: 'train' }],
    },
  };

  it('reads a run with its latest metrics, params and tags; undefined for an unknown run', async () => {
    const s = await serve((r, res) =>
      urlOf(r).searchParams.get('run_id') === 'r1' ? sendJson(res, 200, { run: WIRE_RUN }) : sendJson(res, 404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Run with id=x not found' }),
    );
    const { c } = client(s.url);
    const run = await c.getRun('r1');
    expect(run).toEqual({
      runId: 'r1',
      experimentId: '4',
      status: 'FINISHED',
      runName: 'train',
      startTime: 1000,
      endTime: 2000,
      artifactUri: 'mlflow-artifacts:/4/r1/artifacts',
      lifecycleStage: 'active',
      metrics: { acc: { value: 0.9, timestamp: 3, step: 2 }, loss: { value: Number.NaN, timestamp: 4, step: 7 } },
      params: { lr: '0.1' },
      tags: { 'mlflow.runName': 'train' },
    });
    expect(await c.getRun('x')).toBeUndefined();
  });

  it('follows metric-history pages and always sends max_results (3.1.1 returns an empty page without it)', async () => {
    const points = Array.from({ length: 7 }, (_, i) => ({ key: 'loss', value: 1 / (i + 1), timestamp: 100 + i, step: i }));
    const s = await serve((r, res) => {
      const q = urlOf(r).searchParams;
      const max = q.get('max_results');
      // As MLflow 3.1.1 does without max_results: nothing, and a token for offset 0.
      if (max === null) return sendJson(res, 200, { next_page_token: 'offset-0' });
      const offset = Number(q.get('page_token') ?? 0);
      const page = points.slice(offset, offset + Number(max));
      sendJson(res, 200, { metrics: page, ...(offset + Number(max) < points.length ? { next_page_token: String(offset + Number(max)) } : {}) });
    });
    const { c } = client(s.url);
    const all = await c.getMetricHistory('r1', 'loss', { pageSize: 3 });
    expect(all).toEqual(points.map(({ value, timestamp, step }) => ({ value, timestamp, step })));
    expect(s.requests).toHaveLength(3);
    expect(s.requests.map((r) => urlOf(r).searchParams.get('page_token'))).toEqual([null, '3', '6']);
    expect(s.requests.every((r) => urlOf(r).searchParams.get('run_id') === 'r1' && urlOf(r).searchParams.get('metric_key') === 'loss')).toBe(true);

    const before = s.requests.length;
    expect(await c.getMetricHistory('r1', 'loss')).toHaveLength(7);
    expect(urlOf(s.requests[before]!).searchParams.get('max_results')).toBe('25000');
  });

  it('stops with an error instead of looping when the server repeats an empty page and its token', async () => {
    const s = await serve((_r, res) => sendJson(res, 200, { next_page_token: 'offset-0' }));
    const { c } = client(s.url);
    const e = await failure(c.getMetricHistory('r1', 'loss'));
    expect(e.code).toBe('INVALID_STATE');
    expect(s.requests).toHaveLength(2);
  });

  it('splits a large log-batch within MLflow’s limits, sending everything once with fixed timestamps and NaN as a string', async () => {
    const s = await serve((_r, res) => sendJson(res, 200, {}));
    const { c } = client(s.url);
    const metrics = Array.from({ length: 1500 }, (_, i) => ({ key: `m${i % 3}`, value: i === 0 ? Number.NaN : i === 1 ? Number.POSITIVE_INFINITY : i, step: i }));
    const params = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`p${i}`, String(i)]));
    const tags = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`t${i}`, `v${i}`]));
    await c.logBatch('r1', { metrics, params, tags });
    type Body = { run_id: string; metrics?: Array<{ key: string; value: number | string; timestamp: number; step: number }>; params?: unknown[]; tags?: unknown[] };
    const bodies = s.requests.map((r) => JSON.parse(r.body) as Body);
    expect(s.requests.every((r) => r.method === 'POST' && urlOf(r).pathname === '/api/2.0/mlflow/runs/log-batch')).toBe(true);
    for (const b of bodies) {
      expect(b.run_id).toBe('r1');
      expect((b.params?.length ?? 0) + (b.tags?.length ?? 0) + (b.metrics?.length ?? 0)).toBeLessThanOrEqual(1000);
      expect(b.params?.length ?? 0).toBeLessThanOrEqual(100);
      expect(b.tags?.length ?? 0).toBeLessThanOrEqual(100);
    }
    const sent = bodies.flatMap((b) => b.metrics ?? []);
    expect(sent).toHaveLength(1500);
    expect(sent.map((m) => m.step)).toEqual(metrics.map((m) => m.step));
    expect(sent[0]!.value).toBe('NaN');
    expect(sent[1]!.value).toBe('Infinity');
    expect(sent[2]!.value).toBe(2);
    expect(new Set(sent.map((m) => m.timestamp)).size).toBe(1);
    expect(bodies.flatMap((b) => b.params ?? [])).toEqual(Object.entries(params).map(([key, value]) => ({ key, value })));
    expect(bodies.flatMap((b) => b.tags ?? [])).toEqual(Object.entries(tags).map(([key, value]) => ({ key, value })));
    expect(bodies.length).toBe(3);
  });

  it('sends one request for an empty batch, and explicit timestamps as given', async () => {
    const s = await serve((_r, res) => sendJson(res, 200, {}));
    const { c } = client(s.url);
    await c.logBatch('r1', {});
    await c.logBatch('r1', { metrics: [{ key: 'acc', value: 0.5, timestamp: 42, step: 3 }] });
    expect(s.requests.map((r) => JSON.parse(r.body) as unknown)).toEqual([{ run_id: 'r1' }, { run_id: 'r1', metrics: [{ key: 'acc', value: 0.5, timestamp: 42, step: 3 }] }]);
  });

  it('creates runs and experiments and ends runs in MLflow wire shape', async () => {
    const s = await serve((r, res) => {
      const path = urlOf(r).pathname;
      if (path.endsWith('/experiments/create')) return sendJson(res, 200, { experiment_id: '12' });
      if (path.endsWith('/experiments/get-by-name')) return sendJson(res, 200, { experiment: { experiment_id: '12', name: 'e', lifecycle_stage: 'active', artifact_location: 'x' } });
      if (path.endsWith('/runs/create')) return sendJson(res, 200, { run: { info: { run_uuid: 'r9', run_id: 'r9', experiment_id: '12', status: 'RUNNING', start_time: 5 }, data: { tags: [{ key: 'a', value: '1' }] } } });
      sendJson(res, 200, { run_info: {} });
    });
    const { c } = client(s.url);
    expect(await c.createExperiment('e', { tags: { team: 'x' } })).toBe('12');
    expect(await c.getExperimentByName('e')).toEqual({ experimentId: '12', name: 'e', lifecycleStage: 'active' });
    const run = await c.createRun({ experimentId: '12', startTime: 5, runName: 'train', tags: { a: '1' } });
    expect(run).toMatchObject({ runId: 'r9', experimentId: '12', status: 'RUNNING', startTime: 5, metrics: {}, params: {}, tags: { a: '1' } });
    const t0 = Date.now();
    await c.updateRun('r9', 'FINISHED');
    await c.updateRun('r9', 'RUNNING');
    await c.updateRun('r9', 'FAILED', { endTime: 77 });
    const bodies = s.requests.map((r) => [r.method, urlOf(r).pathname.replace('/api/2.0/mlflow/', ''), JSON.parse(r.body || 'null') as Record<string, unknown> | null] as const);
    expect(bodies[0]).toEqual(['POST', 'experiments/create', { name: 'e', tags: [{ key: 'team', value: 'x' }] }]);
    expect(bodies[2]).toEqual(['POST', 'runs/create', { experiment_id: '12', start_time: 5, run_name: 'train', tags: [{ key: 'a', value: '1' }] }]);
    expect(bodies[3]![1]).toBe('runs/update');
    expect(bodies[3]![2]).toMatchObject({ run_id: 'r9', status: 'FINISHED' });
    expect(bodies[3]![2]!.end_time).toBeGreaterThanOrEqual(t0);
    expect(bodies[4]![2]).toEqual({ run_id: 'r9', status: 'RUNNING' });
    expect(bodies[5]![2]).toEqual({ run_id: 'r9', status: 'FAILED', end_time: 77 });
  });
});
