import { userInfo } from 'node:os';
import { relative, sep } from 'node:path';
import { simpleGit } from 'simple-git';
import { isSpecFilePath, readIgnore, specRootsIn } from '../files/spec-files.js';

/**
 * HEAD and whether the spec files labctl reads under dir differ from it: modified, staged, deleted
 * or untracked files that discovery would read (the conventional folders, YAML, not ignored by
 * .labctlignore or .gitignore). A changed README or a new script elsewhere leaves the apply clean.
 */
export async function resolveGitProvenance(dir: string): Promise<{ sha: string; dirty: boolean }> {
  try {
    const git = simpleGit({ baseDir: dir });
    if (!(await git.checkIsRepo())) return { sha: 'unknown', dirty: false };
    // -z: NUL-separated entries with paths relative to the repository root (porcelain ignores
    // status.relativePaths); a rename's old path follows as an entry of its own.
    const [sha, prefix, status, ignore, roots] = await Promise.all([
      git.revparse(['HEAD']),
      git.revparse(['--show-prefix']),
      git.raw(['status', '--porcelain', '-z', '--untracked-files=all', '--', '.']),
      readIgnore(dir),
      specRootsIn(dir),
    ]);
    const under = prefix.trim();
    const paths = status
      .split('\0')
      .map((e) => (/^[ MADRCU?!]{2} /.test(e) ? e.slice(3) : e))
      .filter((p) => p !== '' && p.startsWith(under))
      .map((p) => p.slice(under.length));
    return { sha: sha.trim(), dirty: paths.some((p) => p === '.labctlignore' || isSpecFilePath(p, ignore, roots)) };
  } catch {
    return { sha: 'unknown', dirty: false };
  }
}

/**
 * Prefix that makes paths under dir relative to the repository root (GitHub annotations need
 * repository paths): '' when dir is the root, `experiments/` for a subdirectory; relative to the
 * working directory outside a repository.
 */
export async function repoPathPrefix(dir: string, cwd: string): Promise<string> {
  let root = cwd;
  try {
    const git = simpleGit({ baseDir: dir });
    if (await git.checkIsRepo()) root = (await git.revparse(['--show-toplevel'])).trim();
  } catch {
    // not a repository: relative to the working directory
  }
  const rel = relative(root, dir).split(sep).join('/');
  return rel === '' || rel.startsWith('..') ? '' : `${rel}/`;
}

const CI_ACTORS = ['GITHUB_ACTOR', 'GITLAB_USER_LOGIN', 'BUILDKITE_BUILD_CREATOR', 'CIRCLE_USERNAME', 'BITBUCKET_STEP_TRIGGERER_UUID'];

/** Who applies: LABCTL_ACTOR, else the CI user, else git config, else the OS user. */
export async function resolveActor(env: NodeJS.ProcessEnv, dir: string): Promise<string> {
  if (env.LABCTL_ACTOR) return env.LABCTL_ACTOR;
  for (const k of CI_ACTORS) if (env[k]) return `${env[k]} (ci)`;
  try {
    const git = simpleGit({ baseDir: dir });
    const email = (await git.getConfig('user.email')).value;
    const name = (await git.getConfig('user.name')).value;
    if (email || name) return name && email ? `${name} <${email}>` : (email ?? name)!;
  } catch {
    // not a repository or git missing: fall through
  }
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
