// A wrong DATABASE_URL says what is wrong with it, names the variable, never prints the password,
// and exits 1 (before: `getaddrinfo ENOTFOUND base`, or a password's tail shown as the host).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresUrlProblem } from '../../adapters/db/postgres.js';
import { cli } from '../helpers/cli.js';
import { ADMIN_URL, requirePostgres } from '../helpers/postgres.js';

const PG = await requirePostgres();
const dir = mkdtempSync(join(tmpdir(), 'labctl-dburl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const server = new URL(ADMIN_URL);
const withPath = (path: string, port = server.port || '5432') => `postgres://${server.username || 'postgres'}@${server.hostname}:${port}/${path}`;

describe('DATABASE_URL problems', () => {
  it.each<[string, string, RegExp]>([
    ['not a URL', 'not a url', /^error: DATABASE_URL is not a URL$/m],
    ['another database', 'mysql://root:secret-pw@db/app', /^error: DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL, not mysql:\/\/$/m],
    ['a # in the password', 'postgres://app:p@ss#secret-pw@db.internal/app', /^error: DATABASE_URL holds a "#", which ends a URL/m],
    ['no host', 'postgres:///app', /^error: DATABASE_URL names no host$/m],
    ['a host that does not resolve', 'postgres://app:secret-pw@base.invalid/app', /cannot connect to PostgreSQL at postgres:\/\/app:\*\*\*@base\.invalid\/app \(DATABASE_URL\): host "base\.invalid" not found/],
  ])('%s', async (_name, url, message) => {
    const r = await cli(['status'], { cwd: dir, env: { DATABASE_URL: url } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/^ {2}hint: /m);
    expect(r.stderr).not.toContain('secret-pw');
  });

  it.skipIf(!PG)('a refused port and a missing database say so', async () => {
    const refused = await cli(['status'], { cwd: dir, env: { DATABASE_URL: withPath('test', '1') } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/\(DATABASE_URL\): connection refused at .*:1 \(nothing listens there\)/);
    const missing = await cli(['status'], { cwd: dir, env: { DATABASE_URL: withPath('labctl_no_such_db') } });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/\(DATABASE_URL\): database "labctl_no_such_db" does not exist \(create it, or fix the path of the URL\)/);
  });

  it('the variable named is the one the URL came from', () => {
    expect(postgresUrlProblem('http://x/y', 'LABCTL_RESULTS_DATABASE_URL')?.message).toBe('LABCTL_RESULTS_DATABASE_URL must be a postgres:// or postgresql:// URL, not http://');
    expect(postgresUrlProblem('postgresql://u@h:5432/d')).toBeUndefined();
  });
});
