import { userInfo } from 'node:os';
import { relative, sep } from 'node:path';
import { simpleGit } from 'simple-git';

/** HEAD commit of the repository containing dir, or `unknown` outside a repository. */
export async function resolveGitSha(dir: string): Promise<string> {
  try {
    const git = simpleGit({ baseDir: dir });
    if (!(await git.checkIsRepo())) return 'unknown';
    return (await git.revparse(['HEAD'])).trim();
  } catch {
    return 'unknown';
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
