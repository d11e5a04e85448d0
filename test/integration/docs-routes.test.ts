// The documented commands run against their documented output, so the docs cannot drift: the
// routes' CLI steps (experiment, conversational AI) in a temporary project built from the page's own YAML, and the
// README quick start's request against a spawned serve over the sample specs.
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertFreshBuild } from '../helpers/build.js';
import { spawnCli } from '../helpers/cli.js';
import { docSteps } from '../helpers/doc-blocks.js';
import { DocRunner } from '../helpers/doc-run.js';
import { DocShell } from '../helpers/doc-shell.js';
import { SAMPLES } from '../helpers/engines.js';
import { spawnServe, type ServeProcess } from '../helpers/serve.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const page = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const ENV = { DATABASE_URL: undefined, LABCTL_ACTOR: 'alice' };

/** Commands the runner executes offline; the first block with anything else ends the run (it needs a server the story keeps running). */
const OFFLINE = /^npx labctl (validate|assign|plan|apply)\b/;

describe.each(['docs/routes/experiment-route.md', 'docs/routes/conversational-ai-route.md'])('%s', (path) => {
  const steps = docSteps(page(path));
  const shell = new DocShell(ROOT, ENV);
  afterAll(() => shell.close());
  beforeAll(() => assertFreshBuild());

  const end = steps.findIndex((s) => s.kind === 'commands' && !s.notRun && s.commands.some((c) => !OFFLINE.test(c.command)));
  const runnable = steps.slice(0, end);

  it('has offline steps to run, and names why the rest is not run here', () => {
    expect(runnable.filter((s) => s.kind === 'commands').length).toBeGreaterThanOrEqual(4);
    expect(steps[end]).toMatchObject({ kind: 'commands' });
  });

  it('runs its validate, assign, plan and apply steps exactly as documented', async () => {
    // In a project built from the page's own YAML; later versions of a file are the edits the
    // page describes (ramp-up, phase 2).
    const runner = new DocRunner(shell, steps, path);
    for (const step of runnable) {
      await runner.step(step);
      for (const r of runner.results.splice(0)) expect(r.got, r.where).toBe(r.shown);
    }
  }, 120_000);
});

describe('README quick start', () => {
  let serve: ServeProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'labctl-docs-readme-'));
  afterAll(async () => {
    await serve?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the request after `npx labctl up` is answered as shown (the revision is elided there)', async () => {
    assertFreshBuild();
    const readme = page('README.md');
    const m = /curl '(http:\/\/127\.0\.0\.1:8080[^']+)'\n# (\{[^\n]+\})/.exec(readme);
    expect(m, 'README has a curl with its answer').not.toBeNull();
    cpSync(SAMPLES, join(dir, 'experiments'), { recursive: true });
    const applied = await spawnCli(['apply'], { cwd: dir, env: ENV });
    expect(applied.code, applied.stderr).toBe(0);
    serve = await spawnServe({ cwd: dir, env: ENV });
    const body = await (await fetch(m![1]!.replace('http://127.0.0.1:8080', serve.url))).text();
    expect(body.replace(/"revision":"[0-9a-f]+"/, '"revision":"…"')).toBe(m![2]);
  }, 60_000);
});
