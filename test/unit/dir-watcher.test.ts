// Which file events may change the desired state: spec files and .labctlignore do; editors'
// temporary and backup files, hidden and tool folders do not.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isEditorTempFile, isSpecPath } from '../../adapters/files/dir-watcher.js';

describe('isEditorTempFile', () => {
  it.each([
    // vim: swap files (.swp … .swp, .swx), backups, and the 4913 write test
    ['.checkout.yaml.swp', true],
    ['.checkout.yaml.swo', true],
    ['.checkout.yaml.swx', true],
    ['checkout.yaml~', true],
    ['4913', true],
    // emacs: auto-save and lock files
    ['#checkout.yaml#', true],
    ['.#checkout.yaml', true],
    // generic temporary, backup and merge leftovers; gedit's atomic save
    ['checkout.yaml.tmp', true],
    ['checkout.yaml.bak', true],
    ['checkout.yaml.orig', true],
    ['.goutputstream-4BCX91', true],
    // real names, including ones that merely contain the patterns
    ['checkout.yaml', false],
    ['checkout.yml', false],
    ['swap.yaml', false],
    ['config.swp.yaml', false],
    ['backup.bak.yaml', false],
    ['tmp.yaml', false],
    ['a~b.yaml', false],
    ['49130.yaml', false],
    ['.labctlignore', false],
  ])('%s → %s', (name, expected) => {
    expect(isEditorTempFile(name)).toBe(expected);
  });
});

describe('isSpecPath', () => {
  const dir = join('/', 'work', 'specs');
  it.each([
    ['checkout.yaml', true],
    ['checkout.yml', true],
    ['CHECKOUT.YAML', true],
    ['team/checkout.yaml', true],
    ['team/deep/er/checkout.yml', true],
    ['.labctlignore', true],
    // not YAML
    ['checkout.json', false],
    ['README.md', false],
    ['yaml', false],
    // editor files next to a spec
    ['.checkout.yaml.swp', false],
    ['checkout.yaml~', false],
    ['#checkout.yaml#', false],
    ['.#checkout.yaml', false],
    ['4913', false],
    ['team/checkout.yaml.tmp', false],
    // hidden files and folders, tool folders (the loader skips them too)
    ['.hidden.yaml', false],
    ['.idea/workspace.yaml', false],
    ['.github/workflows/ci.yaml', false],
    ['.git/config.yaml', false],
    ['.labctl/db/x.yaml', false],
    ['node_modules/pkg/schema.yaml', false],
    ['dist/out.yaml', false],
    ['team/node_modules/x.yaml', false],
    ['team/.cache/x.yaml', false],
  ])('%s → %s', (rel, expected) => {
    expect(isSpecPath(dir, join(dir, rel))).toBe(expected);
  });

  it('only the part below the watched directory counts (a hidden parent of the directory is fine)', () => {
    const hiddenParent = join('/', 'home', 'u', '.config', 'labctl', 'specs');
    expect(isSpecPath(hiddenParent, join(hiddenParent, 'checkout.yaml'))).toBe(true);
    expect(isSpecPath(hiddenParent, join(hiddenParent, '.checkout.yaml.swp'))).toBe(false);
  });

  it('agrees with the loader on which files are specs (every spec path the watcher ignores, the loader ignores)', async () => {
    const { isSpecFilePath } = await import('../../adapters/files/spec-files.js');
    for (const rel of ['checkout.yaml', 'team/checkout.yml', '.hidden.yaml', '.idea/w.yaml', 'node_modules/x.yaml', 'dist/x.yaml', 'checkout.yaml~', '.checkout.yaml.swp', 'notes.txt']) {
      if (isSpecFilePath(rel, [])) expect(isSpecPath(dir, join(dir, rel)), rel).toBe(true);
    }
  });
});

describe('isSpecPath with conventional folders', () => {
  it('only YAML under the folders counts once one exists; creating the folder itself counts', async () => {
    const { mkdtempSync, mkdirSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'labctl-watch-'));
    try {
      expect(isSpecPath(dir, join(dir, 'docker-compose.yml'))).toBe(true);
      mkdirSync(join(dir, 'experiments'));
      expect(isSpecPath(dir, join(dir, 'experiments'))).toBe(true);
      expect(isSpecPath(dir, join(dir, 'experiments', 'checkout.yaml'))).toBe(true);
      expect(isSpecPath(dir, join(dir, 'docker-compose.yml'))).toBe(false);
      expect(isSpecPath(dir, join(dir, 'charts', 'values.yaml'))).toBe(false);
      expect(isSpecPath(dir, join(dir, '.labctlignore'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
