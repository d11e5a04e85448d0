// labctl watch on a directory in a git working tree records, like apply, whether what it applied
// was committed: an uncommitted spec edit is applied as dirty (status, the run), and a committed
// one as clean at its commit. A real repository, PostgreSQL and the built CLI (`npx tsc -p .`).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assertFreshBuild } from '../helpers/build.js';
import { cli } from '../helpers/cli.js';
import { createRepo, disposeGitDirs, tempDir, type TempRepo } from '../helpers/git.js';
import { spawnLabctl, type LabctlProcess } from '../helpers/labctl-process.js';
import { createTestDatabase, requirePostgres } from '../helpers/postgres.js';

const PG = await requirePostgres();
if (PG) assertFreshBuild();

interface Status {
  gitSha: string;
  gitDirty: boolean;
  lastRun: { gitSha: string; gitDirty: boolean; outcome: string };
}

const SPEC = 'experiments/checkout.yaml';

/**
 * Commit new text of a spec before it reaches the working tree, then check it out: the watcher's
 * file event comes after the commit, so the reconcile it triggers cannot see the edit uncommitted
 * (editing and then committing would race the debounced reconcile).
 */
function commitBeforeWriting(repo: TempRepo, rel: string, text: string, message: string): string {
  const file = join(tempDir('labctl-blob-'), 'spec.yaml');
  writeFileSync(file, text);
  const blob = repo.git('hash-object', '-w', file).trim();
  repo.git('update-index', '--cacheinfo', `100644,${blob},${rel}`);
  repo.git('commit', '-q', '-m', message);
  repo.git('checkout', '--', rel);
  return repo.head();
}

describe.skipIf(!PG).each([
  { dirArgs: [] as string[], what: 'the repository root' },
  { dirArgs: ['--dir', 'experiments'], what: 'a folder of it (--dir experiments)' },
])('labctl watch on $what', ({ dirArgs }) => {
  let db: { url: string; drop: () => Promise<void> } | undefined;
  let watch: LabctlProcess | undefined;
  afterEach(async () => {
    await watch?.stop('SIGKILL');
    await db?.drop();
    disposeGitDirs();
  });

  it('records an uncommitted spec edit as dirty, and a committed one as clean at its commit', async () => {
    const repo = createRepo();
    db = await createTestDatabase();
    const env = { DATABASE_URL: db.url };
    const status = async () => {
      const r = await cli(['status', '--json'], { cwd: repo.dir, env });
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Status;
    };
    const w = spawnLabctl(['watch', ...dirArgs], { cwd: repo.dir, env });
    watch = w;
    await w.waitForStderr(/applied revision [0-9a-f]{12}/);
    await w.waitForStderr(/Ctrl-C to stop/);
    const first = repo.head();
    expect(await status()).toMatchObject({ gitSha: first, gitDirty: false, lastRun: { outcome: 'applied', gitSha: first, gitDirty: false } });

    // 1. An edit saved, not committed: applied from HEAD plus uncommitted changes.
    let mark = w.stderr().length;
    repo.edit(SPEC, /description: .*/, 'description: edited in the watched tree, not committed');
    await w.waitForStderr(/applied revision [0-9a-f]{12}: 0 added, 1 changed, 0 archived/, { from: mark });
    expect(await status()).toMatchObject({ gitSha: first, gitDirty: true, lastRun: { outcome: 'applied', gitSha: first, gitDirty: true } });
    const text = await cli(['status'], { cwd: repo.dir, env });
    expect(text.stdout).toMatch(new RegExp(`git ${first.slice(0, 12)} \\+ uncommitted changes, applied`));

    // 2. That edit committed, then a committed edit arrives (as a pull or a checkout would bring it).
    repo.commit('the watched edit');
    mark = w.stderr().length;
    const next = commitBeforeWriting(repo, SPEC, repo.read(SPEC).replace(/description: .*/, 'description: committed, then checked out'), 'a committed edit');
    await w.waitForStderr(/applied revision [0-9a-f]{12}: 0 added, 1 changed, 0 archived/, { from: mark });
    expect(await status()).toMatchObject({ gitSha: next, gitDirty: false, lastRun: { outcome: 'applied', gitSha: next, gitDirty: false } });
    expect((await cli(['status'], { cwd: repo.dir, env })).stdout).not.toContain('uncommitted');
  });
});
