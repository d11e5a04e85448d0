import { afterEach, describe, expect, it } from 'vitest';
import { MlflowClient, MlflowError, mlflowConfigFromEnv, type MlflowClientOptions } from '../../reconciler/stores/mlflow/index.js';
import { closedPort, sendJson, startStub, type StubRequest, type StubServer } from '../helpers/mlflow.js';

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
function client(url: string, opts: Partial<MlflowClientOptions> = {}): { c: MlflowClient; sleeps: number[] } {
  const sleeps: number[] = [];
  const c = new MlflowClient({ trackingUri: url, maxRetries: 3, backoffMs: 100, maxBackoffMs: 1000, sleep: async (ms) => void sleeps.push(ms), ...opts });
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
    const c = new MlflowClient({ trackingUri: s.url, timeoutMs: 60_000, maxRetries: 5, signal: stop.signal });
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
