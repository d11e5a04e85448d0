import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The MLflow tracking server the integration tests use. CI (.ci/run) starts a pinned `mlflow
 * server` and exports TEST_MLFLOW_URI; locally, start one yourself, e.g.
 *   ~/.cache/labctl-ci/mlflow-3.1.1/bin/mlflow server --host 127.0.0.1 --port 5055 \
 *     --backend-store-uri sqlite:////tmp/mlflow/mlflow.db --default-artifact-root /tmp/mlflow/artifacts
 *   TEST_MLFLOW_URI=http://127.0.0.1:5055 npx vitest run test/integration/mlflow-mirror.test.ts
 */
export const MLFLOW_URL = process.env.TEST_MLFLOW_URI?.trim() || undefined;

let reachable: Promise<boolean> | undefined;

/** Whether the test MLflow server answers GET /health. */
export function mlflowReachable(): Promise<boolean> {
  reachable ??= (async () => {
    if (!MLFLOW_URL) return false;
    try {
      const res = await fetch(new URL('health', MLFLOW_URL.endsWith('/') ? MLFLOW_URL : `${MLFLOW_URL}/`), { signal: AbortSignal.timeout(5000) });
      return res.ok;
    } catch {
      return false;
    }
  })();
  return reachable;
}

/**
 * The tracking URI when MLflow tests should run, undefined to skip them. Under CI=true a missing
 * TEST_MLFLOW_URI or an unreachable server is a failure, never a skip: this throws.
 */
export async function requireMlflow(): Promise<string | undefined> {
  const ok = await mlflowReachable();
  if (!ok && process.env.CI === 'true') {
    throw new Error(MLFLOW_URL ? `MLflow is required in CI but ${MLFLOW_URL} does not answer GET /health` : 'MLflow is required in CI but TEST_MLFLOW_URI is not set (.ci/run starts the server and sets it)');
  }
  return ok ? MLFLOW_URL : undefined;
}

/** A name no other test run uses on a shared server (MLflow keeps registered models across runs). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A recorded request of a StubServer. */
export interface StubRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * A local HTTP server that records requests and answers with a handler: for checking what the
 * MLflow client sends and how it reads answers MLflow (or a proxy in front of it) can give.
 */
export interface StubServer {
  url: string;
  requests: StubRequest[];
  close(): Promise<void>;
}

export async function startStub(handler: (req: StubRequest, res: ServerResponse, n: number) => void): Promise<StubServer> {
  const requests: StubRequest[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      requests.push(r);
      handler(r, res, requests.length);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Answer with JSON. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** A local port with nothing listening on it (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
