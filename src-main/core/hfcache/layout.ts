// The Hugging Face cache layout, as huggingface_hub writes it: models--org--name/{blobs,snapshots,refs,trees}.
// Blob name = LFS sha256 or git blob sha1; snapshots hold relative symlinks to ../../blobs/<hash>.
import fs from 'node:fs';
import path from 'node:path';
import { CoreError } from '../errors/index.ts';
import { assertSafeRelative, COMMIT_SHA } from './names.ts';
import { isRepoId } from './repoId.ts';

export function repoFolderName(repoId: string): string {
  return `models--${repoId.split('/').join('--')}`;
}

/** The repo id a cache folder holds, or null when the folder is not one a repo id names. */
export function repoIdFromFolder(folder: string): string | null {
  if (!folder.startsWith('models--')) return null;
  const id = folder.slice('models--'.length).replace('--', '/');
  return isRepoId(id) ? id : null;
}

export interface RepoCache {
  root: string;
  blob(hash: string): string;
  incomplete(hash: string): string;
  snapshot(commit: string): string;
  pointer(commit: string, file: string): string;
  ref(revision: string): string;
  /** huggingface_hub's tree listing of a commit. */
  tree(commit: string): string;
}

/**
 * `parts` joined under `base`, refused when the result is not strictly inside it: the last line of defence for a
 * value that reached a path unchecked (names are checked by shape where they enter; see names.ts).
 */
function inside(base: string, what: string, value: string, ...parts: string[]): string {
  const p = path.join(base, ...parts);
  const b = path.resolve(base);
  if (!path.resolve(p).startsWith(b.endsWith(path.sep) ? b : b + path.sep))
    throw new CoreError(
      'validation',
      `refusing a path outside the HF cache: ${what} ${JSON.stringify(value)}`,
    );
  return p;
}

export function repoCache(cacheDir: string, repoId: string): RepoCache {
  const root = inside(cacheDir, 'repo', repoId, repoFolderName(repoId));
  const dir = (name: string): string => path.join(root, name);
  const snapshot = (commit: string): string => inside(dir('snapshots'), 'snapshot', commit, commit);
  return {
    root,
    blob: (hash) => inside(dir('blobs'), 'blob', hash, hash),
    incomplete: (hash) => inside(dir('blobs'), 'blob', hash, `${hash}.incomplete`),
    snapshot,
    pointer: (commit, file) => {
      assertSafeRelative(file);
      return inside(snapshot(commit), 'file', file, ...file.split('/'));
    },
    ref: (revision) => inside(dir('refs'), 'ref', revision, ...revision.split('/')),
    tree: (commit) => inside(dir('trees'), 'tree listing', commit, `${commit}.json`),
  };
}

/** Size of a file, or null when absent. */
export function sizeOf(p: string): number | null {
  try {
    return fs.statSync(p).size;
  } catch {
    return null;
  }
}

/** Points snapshots/<commit>/<file> at the blob with a relative symlink, replacing what was there. */
export function linkPointer(cache: RepoCache, commit: string, file: string, hash: string): void {
  const pointer = cache.pointer(commit, file);
  fs.mkdirSync(path.dirname(pointer), { recursive: true });
  const target = path.relative(path.dirname(pointer), cache.blob(hash));
  try {
    if (fs.readlinkSync(pointer) === target) return;
  } catch {
    // absent or not a link
  }
  const tmp = `${pointer}.tmp-${process.pid}`;
  fs.rmSync(tmp, { force: true });
  try {
    fs.symlinkSync(target, tmp);
  } catch (e) {
    // Filesystems without symlinks (some Windows setups): huggingface_hub then copies the blob.
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
    fs.copyFileSync(cache.blob(hash), tmp);
  }
  fs.renameSync(tmp, pointer);
}

export function writeRef(cache: RepoCache, revision: string, commit: string): void {
  const file = cache.ref(revision);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  // No trailing newline: huggingface_hub reads the ref verbatim.
  fs.writeFileSync(tmp, commit);
  fs.renameSync(tmp, file);
}

/** The commit a ref names, or null when absent or not a commit sha (another tool's, or a tampered file). */
export function readRef(cache: RepoCache, revision: string): string | null {
  try {
    const commit = fs.readFileSync(cache.ref(revision), 'utf8').trim();
    return COMMIT_SHA.test(commit) ? commit : null;
  } catch {
    return null;
  }
}

export interface TreeEntry {
  path: string;
  size: number;
  oid: string;
  lfsSha256: string | null;
}

/** trees/<commit>.json in huggingface_hub's format (format_version 1), which it uses to tell a snapshot complete. */
export function writeTreeCache(
  cache: RepoCache,
  commit: string,
  files: readonly TreeEntry[],
): void {
  const entries: Record<string, unknown> = {};
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    entries[f.path] = f.lfsSha256
      ? { size: f.size, blob_id: f.oid, lfs_sha256: f.lfsSha256, lfs_size: f.size }
      : { size: f.size, blob_id: f.oid };
  }
  const file = cache.tree(commit);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify({ format_version: 1, files: entries }, null, 1));
  fs.renameSync(tmp, file);
}

export function readTreeCache(cache: RepoCache, commit: string): TreeEntry[] | null {
  try {
    const data = JSON.parse(fs.readFileSync(cache.tree(commit), 'utf8')) as {
      format_version?: number;
      files?: Record<string, { size: number; blob_id: string; lfs_sha256?: string }>;
    };
    if (data.format_version !== 1 || !data.files) return null;
    return Object.entries(data.files).map(([p, f]) => ({
      path: p,
      size: f.size,
      oid: f.blob_id,
      lfsSha256: f.lfs_sha256 ?? null,
    }));
  } catch {
    return null;
  }
}
