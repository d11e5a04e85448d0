import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { readSpecsAtRef } from './specs-at-ref.js';
import type { SpecFile } from '../../core/types.js';

/** Where clones of watched repositories are kept between runs. */
export function defaultGitCacheDir(env: NodeJS.ProcessEnv): string {
  return env.LABCTL_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'labctl', 'git');
}

/** URL without credentials, for logs and status rows. */
export function redactGitUrl(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//***@');
}

/**
 * A branch of a remote repository, kept in a cache clone without a work tree; specs are read from
 * the fetched commit (no checkout, so nothing half-written is ever read).
 */
export class GitSpecSource {
  readonly path: string;
  private head: string | undefined;

  constructor(readonly url: string, readonly branch: string, readonly subdir: string, cacheDir: string) {
    this.path = join(cacheDir, createHash('sha256').update(`${url}#${branch}`).digest('hex').slice(0, 16));
  }

  /** Fetch the branch; returns its head commit and whether it moved since the last call. */
  async sync(): Promise<{ commit: string; moved: boolean }> {
    if (!existsSync(join(this.path, '.git'))) {
      mkdirSync(this.path, { recursive: true });
      await simpleGit().clone(this.url, this.path, ['--no-checkout', '--single-branch', '--branch', this.branch]);
    } else {
      await simpleGit({ baseDir: this.path }).fetch('origin', `+refs/heads/${this.branch}:refs/remotes/origin/${this.branch}`);
    }
    const commit = (await simpleGit({ baseDir: this.path }).revparse([`refs/remotes/origin/${this.branch}`])).trim();
    const moved = commit !== this.head;
    this.head = commit;
    return { commit, moved };
  }

  /** The spec files at the last fetched commit. */
  async files(): Promise<SpecFile[]> {
    if (!this.head) await this.sync();
    return (await readSpecsAtRef(join(this.path, this.subdir), this.head!)).files;
  }

  /** The last fetched commit. */
  get commit(): string | undefined {
    return this.head;
  }
}
