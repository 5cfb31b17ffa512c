// Repo ids as the Hub and the cache folder names allow them (org/name), checked before any path is built from one,
// so an id can never name a folder outside the cache.
import { CoreError } from '../errors/index.ts';

export const REPO_ID = /^[\w.-]{1,96}\/[\w.-]{1,96}$/;

export function assertRepoId(repo: string): void {
  if (!REPO_ID.test(repo) || repo.includes('..'))
    throw new CoreError('validation', `not a model repo id: "${repo}" (expected org/name)`);
}
