// Public surface of the HF cache layout, the base that downloads (which write it) and the library (which reads it)
// share: folder names, blob/snapshot/ref paths, the tree listing, and repo id validation.
export {
  repoCache,
  repoFolderName,
  repoIdFromFolder,
  assertSafeRelative,
  sizeOf,
  linkPointer,
  writeRef,
  readRef,
  writeTreeCache,
  readTreeCache,
  type RepoCache,
  type TreeEntry,
} from './layout.ts';
export { assertRepoId, REPO_ID } from './repoId.ts';
