// The environment variables the code reads, the help that lists them (cli/env-vars.ts) and the
// table in docs/cli.md cannot drift apart; every `--help` shown in docs/cli.md is the real one.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ENV_VARS, envVarsFor } from '../../cli/env-vars.js';
import { cli } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE_DIRS = ['cli', 'adapters', 'reconciler', 'runtime', 'kinds', 'engine', 'core'];
// Read through a list (adapters/git/provenance.ts) and documented under LABCTL_ACTOR.
const CI_ACTORS = ['GITHUB_ACTOR', 'GITLAB_USER_LOGIN', 'BUILDKITE_BUILD_CREATOR', 'CIRCLE_USERNAME', 'BITBUCKET_STEP_TRIGGERER_UUID'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Names the code reads: env.NAME, env['NAME'], and helpers called with (env, 'NAME'). */
function readInCode(): Set<string> {
  const found = new Set<string>();
  for (const file of SOURCE_DIRS.flatMap((d) => sources(join(ROOT, d)))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\benv\.([A-Z][A-Z0-9_]+)\b|\benv\[['"]([A-Z][A-Z0-9_]+)['"]\]|\(env, '([A-Z][A-Z0-9_]+)'\)/g)) found.add(m[1] ?? m[2] ?? m[3]!);
  }
  return found;
}

const cliDoc = readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8');
const envSection = cliDoc.slice(cliDoc.indexOf('## Environment variables'), cliDoc.indexOf('\n## ', cliDoc.indexOf('## Environment variables') + 5));

describe('environment variables', () => {
  it('every variable the code reads is listed for --help, and nothing listed is unread', () => {
    const read = readInCode();
    expect(read.size).toBeGreaterThan(10);
    const listed = new Set(ENV_VARS.map((v) => v.name));
    expect([...read].filter((n) => !listed.has(n) && !CI_ACTORS.includes(n)).sort()).toEqual([]);
    expect([...listed].filter((n) => !read.has(n)).sort()).toEqual([]);
  });

  it('every listed variable is described in docs/cli.md#environment-variables', () => {
    expect(envSection.length).toBeGreaterThan(500);
    expect(ENV_VARS.map((v) => v.name).filter((n) => !envSection.includes(`\`${n}\``))).toEqual([]);
  });

  it('each command lists what it reads', () => {
    expect(envVarsFor('report').map((v) => v.name)).toEqual(expect.arrayContaining(['DATABASE_URL', 'LABCTL_RESULTS_DATABASE_URL']));
    expect(envVarsFor('validate').map((v) => v.name)).not.toContain('DATABASE_URL');
    expect(envVarsFor('serve').map((v) => v.name)).toEqual(expect.arrayContaining(['DATABASE_URL', 'LABCTL_INGEST_TOKEN', 'LABCTL_ADMIN_TOKEN']));
  });

  it('every --help in docs/cli.md is what the CLI prints', async () => {
    const blocks = [...cliDoc.matchAll(/```text\n\$ labctl ([^\n]*--help)\n(.*?)```/gs)];
    expect(blocks.length).toBeGreaterThanOrEqual(10);
    for (const [, command, shown] of blocks) {
      const r = await cli(command!.split(' '), { cwd: ROOT, env: { NO_COLOR: '1' } });
      expect(r.stdout, `labctl ${command}`).toBe(shown);
    }
  });
});
