// Spec discovery at the root of an ordinary application repository: the conventional folders when
// there are any, other tools' YAML ignored with one note, an empty tree a warning (an error with
// `validate --strict`). Before, a docker-compose.yml at the root failed validate with
// `missing required field "kind"`, and a mistyped --dir passed with "0 resources in 0 files".
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findSpecFiles, specRoots } from '../../adapters/files/spec-files.js';
import { readSpecDir, SpecLoader } from '../../reconciler/load/index.js';
import { cli } from '../helpers/cli.js';
import { SAMPLES } from '../helpers/engines.js';

const OTHER_TOOLS: Record<string, string> = {
  'docker-compose.yml': 'services:\n  web:\n    image: nginx:1.27\n    ports: ["8080:80"]\n',
  '.github/workflows/ci.yml': 'on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n',
  'charts/web/values.yaml': 'replicaCount: 2\nimage:\n  repository: nginx\n',
  'deploy/web.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n',
  // A Helm template is not even valid YAML.
  'charts/web/templates/deployment.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n  {{- include "labels" . | nindent 4 }}\n',
};

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function repo(files: Record<string, string>, samples = true): string {
  const dir = mkdtempSync(join(tmpdir(), 'labctl-discovery-'));
  dirs.push(dir);
  if (samples) cpSync(SAMPLES, join(dir, 'experiments'), { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

describe('which files are specs', () => {
  it('with conventional folders, only they are read', async () => {
    const dir = repo({ ...OTHER_TOOLS, 'prompts/hello.yaml': 'kind: Prompt\nname: hello\ntemplate: "Hi {{name}}"\nvariables: { name: { type: string } }\n', 'notes/todo.yaml': 'kind: Experiment\n' });
    const files = await findSpecFiles(dir);
    expect(files.length).toBeGreaterThan(1);
    expect(files.every((f) => f.startsWith('experiments/') || f.startsWith('prompts/'))).toBe(true);
    expect(files).toContain('prompts/hello.yaml');
    expect(specRoots(['src', 'prompts', 'experiments', 'charts'])).toEqual(['experiments', 'prompts']);
    expect(specRoots(['src', 'charts'])).toBeUndefined();
  });

  it('without them, other tools\' YAML is ignored and specs anywhere are read', async () => {
    const dir = repo({ ...OTHER_TOOLS, 'config/lab/checkout.yaml': 'kind: Metric\nname: checkout\ntype: conversion\nevent: checkout_completed\n' }, false);
    const state = new SpecLoader().load(await readSpecDir(dir));
    expect(state.diagnostics).toEqual([]);
    expect(state.resources.map((r) => `${r.kind}/${r.name}`)).toEqual(['Metric/checkout']);
    expect(state.files).toBe(1);
    // Hidden folders (.github) are never read at all.
    expect([...(state.ignored ?? [])].sort()).toEqual(['charts/web/templates/deployment.yaml', 'charts/web/values.yaml', 'deploy/web.yaml', 'docker-compose.yml']);
  });

  it('a broken spec is still an error: a typo in kind, a syntax error in a file that declares a labctl kind, a missing kind in a spec folder', async () => {
    const dir = repo({ 'specs/typo.yaml': 'kind: Experimant\nname: x\n', 'specs/broken.yaml': 'kind: Metric\nname: [unclosed\n' }, false);
    const codes = new SpecLoader().load(await readSpecDir(dir)).diagnostics.map((d) => `${d.range?.filename} ${d.code}`);
    expect(codes).toContain('specs/typo.yaml unknown-kind');
    expect(codes.some((c) => c.startsWith('specs/broken.yaml yaml-'))).toBe(true);
    const inFolder = repo({ 'experiments/forgot.yaml': 'name: new-test\nstatus: draft\n' }, false);
    const d = new SpecLoader().load(await readSpecDir(inFolder)).diagnostics;
    expect(d.map((x) => [x.range?.filename, x.code])).toEqual([['experiments/forgot.yaml', 'missing-field']]);
  });
});

describe('labctl validate at the root of an application repository', () => {
  it('passes with one note naming the ignored files', async () => {
    const dir = repo({ ...OTHER_TOOLS, 'k8s/web.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: web }\n' });
    const r = await cli(['validate'], { cwd: dir, env: { DATABASE_URL: undefined } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/✓ \d+ resources in \d+ files valid\./);
    // The conventional folder exists, so the other YAML is not even read: no note.
    expect(r.stderr).toBe('');
    const flat = repo(OTHER_TOOLS, false);
    writeFileSync(join(flat, 'metric.yaml'), 'kind: Metric\nname: checkout\ntype: conversion\nevent: checkout_completed\n');
    const f = await cli(['validate'], { cwd: flat, env: { DATABASE_URL: undefined } });
    expect(f.code, f.stderr).toBe(0);
    expect(f.stdout).toContain('1 resource in 1 file valid');
    expect(f.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^note: 4 YAML files without a labctl kind ignored \(charts\/web\/templates\/deployment\.yaml, charts\/web\/values\.yaml, deploy\/web\.yaml, …\)/)]);
  });

  it('an empty tree is a warning, and an error with --strict', async () => {
    const dir = repo({}, false);
    const r = await cli(['validate', '--dir', '.'], { cwd: dir, env: { DATABASE_URL: undefined } });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: no spec files found in \. /);
    expect(r.stderr).toContain('hint: pass --dir');
    const strict = await cli(['validate', '--strict'], { cwd: dir, env: { DATABASE_URL: undefined } });
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('error: no spec files found in . (--strict)');
    const fine = await cli(['validate', '--strict'], { cwd: repo({}), env: { DATABASE_URL: undefined } });
    expect(fine.code, fine.stderr).toBe(0);
  });
});
