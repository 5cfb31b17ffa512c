// Repo ids as the Hub and the cache folder names allow them (org/name), checked before any path is built from one,
// so an id can never name a folder outside the cache.
import { CoreError } from '../errors/index.ts';

export const REPO_ID = /^[\w.-]{1,96}\/[\w.-]{1,96}$/;

/** The Hub forbids `--` and `..` in ids; without `--` each id names exactly one models--org--name folder. */
export function isRepoId(repo: unknown): repo is string {
  return (
    typeof repo === 'string' && REPO_ID.test(repo) && !repo.includes('..') && !repo.includes('--')
  );
}

export function assertRepoId(repo: string): void {
  if (!isRepoId(repo))
    throw new CoreError(
      'validation',
      `not a model repo id: ${JSON.stringify(repo)} (expected org/name)`,
    );
}
