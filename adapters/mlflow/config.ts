import { MlflowError } from './errors.js';

/** How requests authenticate: a bearer token (Databricks, most proxies) or HTTP basic (mlflow's basic-auth app). */
export type MlflowAuth = { kind: 'none' } | { kind: 'bearer'; token: string } | { kind: 'basic'; username: string; password: string };

/** Where the tracking server is and how to talk to it. */
export interface MlflowConfig {
  /** Base URL of the tracking server, credentials removed, ending in `/` (a path prefix is kept). */
  trackingUri: string;
  auth: MlflowAuth;
  /** Per attempt: connecting, waiting for and reading the whole answer. */
  timeoutMs: number;
  /** Retries after the first attempt (429, 5xx, network errors, timeouts). */
  maxRetries: number;
  /** First backoff delay; doubles per retry (with jitter) up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
}

export const MLFLOW_DEFAULTS = { timeoutMs: 30_000, maxRetries: 3, backoffMs: 500, maxBackoffMs: 10_000 } as const;

/** Whether the environment names a tracking server at all (an empty value counts as unset). */
export function mlflowConfigured(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.MLFLOW_TRACKING_URI?.trim());
}

function nonNegative(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new MlflowError(`${name}=${JSON.stringify(raw)} is not a non-negative number`, 'INVALID_CONFIG', 0);
  return n;
}

/**
 * Parse a tracking URI into a base URL and the credentials it may carry (`https://user:pass@host`,
 * which fetch refuses to send as is). Only HTTP(S) servers can be reached: `databricks`, `file:` or a
 * database URI is a configuration error, not something to skip.
 */
export function parseTrackingUri(raw: string): { base: string; userinfo?: { username: string; password: string } } {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new MlflowError(`MLFLOW_TRACKING_URI=${JSON.stringify(raw)} is not a URL; labctl talks to an MLflow tracking server over HTTP (e.g. http://127.0.0.1:5000)`, 'INVALID_CONFIG', 0);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MlflowError(
      `MLFLOW_TRACKING_URI uses ${url.protocol.replace(/:$/, '')}:, but labctl talks to an MLflow tracking server over HTTP (set it to the server's http(s):// URL)`,
      'INVALID_CONFIG',
      0,
    );
  }
  const userinfo = url.username || url.password ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } : undefined;
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return { base: url.toString(), userinfo };
}

/**
 * The MLflow settings of an environment, as the MLflow clients read them: MLFLOW_TRACKING_URI, then
 * MLFLOW_TRACKING_TOKEN (Bearer) or else MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD (Basic);
 * MLFLOW_HTTP_REQUEST_TIMEOUT (seconds) and MLFLOW_HTTP_REQUEST_MAX_RETRIES tune the client.
 * Undefined when no tracking URI is set; throws MlflowError (INVALID_CONFIG) when it is unusable.
 */
export function mlflowConfigFromEnv(env: NodeJS.ProcessEnv): MlflowConfig | undefined {
  if (!mlflowConfigured(env)) return undefined;
  const { base, userinfo } = parseTrackingUri(env.MLFLOW_TRACKING_URI!);
  let auth: MlflowAuth = { kind: 'none' };
  const token = env.MLFLOW_TRACKING_TOKEN?.trim();
  if (token) auth = { kind: 'bearer', token };
  else if (env.MLFLOW_TRACKING_USERNAME || env.MLFLOW_TRACKING_PASSWORD) {
    auth = { kind: 'basic', username: env.MLFLOW_TRACKING_USERNAME ?? '', password: env.MLFLOW_TRACKING_PASSWORD ?? '' };
  } else if (userinfo) auth = { kind: 'basic', ...userinfo };
  const timeoutS = nonNegative(env, 'MLFLOW_HTTP_REQUEST_TIMEOUT');
  const retries = nonNegative(env, 'MLFLOW_HTTP_REQUEST_MAX_RETRIES');
  return {
    trackingUri: base,
    auth,
    timeoutMs: timeoutS !== undefined && timeoutS > 0 ? timeoutS * 1000 : MLFLOW_DEFAULTS.timeoutMs,
    maxRetries: retries !== undefined ? Math.floor(retries) : MLFLOW_DEFAULTS.maxRetries,
    backoffMs: MLFLOW_DEFAULTS.backoffMs,
    maxBackoffMs: MLFLOW_DEFAULTS.maxBackoffMs,
  };
}

/** The Authorization header value for auth, if any. */
export function authorizationHeader(auth: MlflowAuth): string | undefined {
  if (auth.kind === 'bearer') return `Bearer ${auth.token}`;
  if (auth.kind === 'basic') return `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
  return undefined;
}
