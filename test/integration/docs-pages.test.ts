// The reference pages' examples run against their documented output, so the docs cannot drift:
// each documented command (labctl offline, labctl serve/up/watch on a free port, curl against them)
// runs in temporary projects the page names in docs-test comments, over the repository's sample
// specs. Only clock readings, process ids, host names, temporary paths and trailing spaces are normalised
// (doc-blocks.ts normaliseVolatile). DOCS_UPDATE=1 writes what came out back into the pages.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { assertFreshBuild } from '../helpers/build.js';
import { docSteps } from '../helpers/doc-blocks.js';
import { DocRunner } from '../helpers/doc-run.js';
import { DocShell } from '../helpers/doc-shell.js';
import { requirePostgres } from '../helpers/postgres.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PAGES = ['docs/runtime.md', 'docs/assignment.md', 'docs/gitops.md', 'docs/cli.md'];

// Pages run side by side: each has its own temporary projects, databases and free ports.
describe.concurrent('documented pages', () => {
  it.for(PAGES)('%s shows what its commands print', { timeout: 600_000 }, async (path, { expect, skip }) => {
    assertFreshBuild();
    const page = readFileSync(join(ROOT, path), 'utf8');
    const steps = docSteps(page);
    if (steps.some((s) => s.kind === 'project' && s.words.some((w) => w.startsWith('postgres'))) && !(await requirePostgres())) return skip();
    const shell = new DocShell(ROOT);
    const runner = new DocRunner(shell, steps, path);
    try {
      for (const step of steps) await runner.step(step);
    } finally {
      await shell.close();
    }
    expect(runner.results.length, 'commands run').toBeGreaterThan(0);
    if (process.env.DOCS_UPDATE === '1') writeFileSync(join(ROOT, path), runner.updated(page));
    for (const r of runner.results) expect.soft(r.got, r.where).toBe(r.shown);
  });
});
