// Deterministic request attributes shared by the runtime benchmarks (in-process and HTTP): the
// attributes a service passes per request, drawn from the same values the generated targeting uses.
const COUNTRIES = ['NL', 'BE', 'DE', 'FR', 'US', 'GB', 'ES', 'IT', 'SE', 'PL'];
const PLATFORMS = ['ios', 'android', 'web'];

/** n users from index `from`: user_id, country, platform, app_version (k = a multiplicative hash of the index). */
export function makeUsers(n, from = 0) {
  const users = [];
  for (let i = from; i < from + n; i++) {
    const k = Math.imul(i, 2654435761) >>> 0;
    users.push({ user_id: `user-${i}`, country: COUNTRIES[k % 10], platform: PLATFORMS[(k >>> 4) % 3], app_version: `${1 + ((k >>> 8) % 6)}.${(k >>> 12) % 10}.${(k >>> 16) % 3}` });
  }
  return users;
}

/** The query string of GET /v1/assign/{experiment} for a user (every attribute a parameter). */
export function userQuery(u) {
  return new URLSearchParams(u).toString();
}

/**
 * Request lists for the HTTP benchmark, one per request: GET paths cycling through the experiments,
 * or POST bodies; users `from` … `from + n - 1`, so separate runs can use disjoint users.
 */
export function requestList({ kind, names, log, from, n }) {
  const users = makeUsers(n, from);
  if (kind === 'get') return users.map((u, i) => `/v1/assign/${names[(from + i) % names.length]}?${userQuery(u)}${log ? '' : '&log=false'}`);
  return users.map((u) => JSON.stringify(log ? { attributes: u } : { attributes: u, log: false }));
}
