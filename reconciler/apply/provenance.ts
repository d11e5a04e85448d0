import { userInfo } from 'node:os';
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
