// The Hugging Face cache layout, as huggingface_hub writes it: models--org--name/{blobs,snapshots,refs,trees}.
// Blob name = LFS sha256 or git blob sha1; snapshots hold relative symlinks to ../../blobs/<hash>.
import fs from 'node:fs';
import path from 'node:path';

export function repoFolderName(repoId: string): string {
  return `models--${repoId.split('/').join('--')}`;
}

export function repoIdFromFolder(folder: string): string | null {
  if (!folder.startsWith('models--')) return null;
  const parts = folder.slice('models--'.length).split('--');
  return parts.length >= 2 ? parts.join('/') : null;
}

export interface RepoCache {
  root: string;
  blob(hash: string): string;
  incomplete(hash: string): string;
  snapshot(commit: string): string;
  pointer(commit: string, file: string): string;
  ref(revision: string): string;
}

/** Refuses repo file paths that would escape the snapshot folder (huggingface_hub does the same check). */
export function assertSafeRelative(file: string): void {
  const norm = path.posix.normalize(file);
  if (
    !file ||
    norm.startsWith('../') ||
    norm === '..' ||
    path.posix.isAbsolute(file) ||
    file.includes('\\') ||
    file.includes('\0')
  ) {
    throw new Error(`unsafe file path in repo: ${JSON.stringify(file)}`);
  }
}

export function repoCache(cacheDir: string, repoId: string): RepoCache {
  const root = path.join(cacheDir, repoFolderName(repoId));
  return {
    root,
    blob: (hash) => path.join(root, 'blobs', hash),
    incomplete: (hash) => path.join(root, 'blobs', `${hash}.incomplete`),
    snapshot: (commit) => path.join(root, 'snapshots', commit),
    pointer: (commit, file) => {
      assertSafeRelative(file);
      return path.join(root, 'snapshots', commit, ...file.split('/'));
    },
    ref: (revision) => path.join(root, 'refs', ...revision.split('/')),
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

export function readRef(cache: RepoCache, revision: string): string | null {
  try {
    return fs.readFileSync(cache.ref(revision), 'utf8').trim() || null;
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
  const file = path.join(cache.root, 'trees', `${commit}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify({ format_version: 1, files: entries }, null, 1));
  fs.renameSync(tmp, file);
}

export function readTreeCache(cache: RepoCache, commit: string): TreeEntry[] | null {
  try {
    const data = JSON.parse(
      fs.readFileSync(path.join(cache.root, 'trees', `${commit}.json`), 'utf8'),
    ) as {
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
