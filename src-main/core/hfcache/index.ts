// Public surface of the HF cache layout, the base that downloads (which write it) and the library (which reads it)
// share: folder names, blob/snapshot/ref paths, the tree listing, and the checks on repo ids and the other names
// that become path parts.
export {
  repoCache,
  repoFolderName,
  repoIdFromFolder,
  sizeOf,
  linkPointer,
  writeRef,
  readRef,
  writeTreeCache,
  readTreeCache,
  type RepoCache,
  type TreeEntry,
} from './layout.ts';
export { assertRepoId, isRepoId, REPO_ID } from './repoId.ts';
export {
  assertRevision,
  assertSafeRelative,
  isBlobId,
  isCommitSha,
  BLOB_ID,
  COMMIT_SHA,
  SHA256,
} from './names.ts';
