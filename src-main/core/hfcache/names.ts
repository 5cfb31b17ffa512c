// The shapes of the names that become parts of cache paths (commit shas, blob ids, revisions, repo file paths),
// checked where each enters (a Hub answer, a caller's request) so none can carry a separator or `..` into a path.
import { CoreError } from '../errors/index.ts';

/** A git commit id as the Hub reports it (huggingface_hub's REGEX_COMMIT_HASH). */
export const COMMIT_SHA = /^[0-9a-f]{40}$/;
/** A blob name in the cache: the git blob sha1 of a regular file, or the sha256 of an LFS file. */
export const BLOB_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
export const SHA256 = /^[0-9a-f]{64}$/;
/** Branch, tag, `refs/pr/N` or commit: segments that never start with a dot (as git requires), so never `.` or `..`. */
const REVISION = /^[\w-][\w.-]*(?:\/[\w-][\w.-]*)*$/;

export const isCommitSha = (v: unknown): v is string => typeof v === 'string' && COMMIT_SHA.test(v);
export const isBlobId = (v: unknown): v is string => typeof v === 'string' && BLOB_ID.test(v);

export function assertRevision(revision: string): void {
  if (revision.length > 200 || !REVISION.test(revision))
    throw new CoreError('validation', `not a valid revision: ${JSON.stringify(revision)}`);
}

/** Refuses repo file paths that are not plain relative paths: a snapshot pointer must land inside its snapshot. */
export function assertSafeRelative(file: string): void {
  const bad =
    !file ||
    file.includes('\\') ||
    file.includes('\0') ||
    file.split('/').some((s) => s === '' || s === '.' || s === '..');
  if (bad) throw new CoreError('validation', `unsafe file path in repo: ${JSON.stringify(file)}`);
}
