import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SAMPLES } from './engines.js';

/** A fixed identity and no signing, so commits work on any machine (and in CI without git config). */
const GIT_ENV: Record<string, string> = {
  GIT_AUTHOR_NAME: 'labctl test',
  GIT_AUTHOR_EMAIL: 'test@labctl.invalid',
  GIT_COMMITTER_NAME: 'labctl test',
  GIT_COMMITTER_EMAIL: 'test@labctl.invalid',
  GIT_TERMINAL_PROMPT: '0',
};

/** Run git in cwd and return its stdout (throws with stderr on failure). */
export function git(cwd: string, args: string[]): string {
  return execFileSync('git', ['-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main', '-c', 'advice.detachedHead=false', ...args], {
    cwd,
    env: { ...process.env, ...GIT_ENV },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** A working tree of a temporary repository. */
export interface TempRepo {
  /** Root of the working tree. */
  dir: string;
  /** <dir>/experiments (the sample specs, when copied). */
  specs: string;
  git(...args: string[]): string;
  write(rel: string, text: string): void;
  read(rel: string): string;
  /** Replace text in a file; fails when the pattern does not match (so an edit can never silently do nothing). */
  edit(rel: string, from: string | RegExp, to: string): void;
  remove(rel: string): void;
  /** `git add -A && git commit`; returns the new commit. */
  commit(message: string): string;
  head(): string;
}

function workTree(dir: string): TempRepo {
  const repo: TempRepo = {
    dir,
    specs: join(dir, 'experiments'),
    git: (...args) => git(dir, args),
    write(rel, text) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), text);
    },
    read: (rel) => readFileSync(join(dir, rel), 'utf8'),
    edit(rel, from, to) {
      const text = repo.read(rel);
      const next = text.replace(from, to);
      if (next === text) throw new Error(`edit of ${rel}: ${String(from)} did not match`);
      repo.write(rel, next);
    },
    remove: (rel) => rmSync(join(dir, rel), { recursive: true }),
    commit(message) {
      git(dir, ['add', '-A']);
      git(dir, ['commit', '-q', '--allow-empty', '-m', message]);
      return repo.head();
    },
    head: () => git(dir, ['rev-parse', 'HEAD']).trim(),
  };
  return repo;
}

/** Temporary directories made here; removed by disposeGitDirs (or at exit). */
const made: string[] = [];
process.once('exit', () => disposeGitDirs());

/** A temporary directory (removed by disposeGitDirs). */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

/** Remove every temporary directory made by this module so far. */
export function disposeGitDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** `git init` in a new temporary directory; with samples, the sample specs committed under experiments/. */
export function createRepo(opts: { samples?: boolean } = {}): TempRepo {
  const dir = tempDir('labctl-repo-');
  git(dir, ['init', '-q', '-b', 'main']);
  const repo = workTree(dir);
  if (opts.samples ?? true) {
    cpSync(SAMPLES, repo.specs, { recursive: true });
    repo.commit('samples');
  }
  return repo;
}

/** A bare repository reachable by a file:// URL, and a clone of it that commits and pushes. */
export interface Remote {
  /** Path of the bare repository. */
  bare: string;
  /** file:// URL of the bare repository. */
  url: string;
  /** A clone with the sample specs under experiments/ (pushed to main). */
  clone: TempRepo;
  /** Commit everything in the clone and push main; returns the commit. */
  push(message: string): string;
}

/** `git init --bare` plus a clone that has pushed the sample specs to main. */
export function createRemote(): Remote {
  const root = tempDir('labctl-remote-');
  const bare = join(root, 'specs.git');
  git(root, ['init', '-q', '--bare', '-b', 'main', bare]);
  const url = pathToFileURL(bare).href;
  git(root, ['clone', '-q', url, 'work']);
  const clone = workTree(join(root, 'work'));
  clone.git('checkout', '-q', '-B', 'main');
  cpSync(SAMPLES, clone.specs, { recursive: true });
  const push = (message: string) => {
    const sha = clone.commit(message);
    clone.git('push', '-q', 'origin', 'main');
    return sha;
  };
  push('samples');
  return { bare, url, clone, push };
}
