// Free space of the folder a download writes into (fs.statfs), injectable so tests can simulate a full disk, and
// the check that refuses a download the disk cannot hold before any byte is fetched.
import fs from 'node:fs';
import path from 'node:path';
import { fatal } from './retry.ts';

export type FreeSpace = (dir: string) => Promise<number>;

/** Bytes available to this user on the filesystem holding `dir` (nearest existing ancestor). */
export const statfsFree: FreeSpace = async (dir) => {
  let d = path.resolve(dir);
  while (!fs.existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  const s = await fs.promises.statfs(d);
  return s.bavail * s.bsize;
};

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** Throws a non-retryable error when `need` more bytes (plus the reserve) do not fit in `cacheDir`. */
export async function assertDiskSpace(
  freeSpace: FreeSpace,
  cacheDir: string,
  repoId: string,
  need: number,
  reserve: number,
): Promise<void> {
  if (need > 0) {
    const free = await freeSpace(cacheDir);
    if (free - reserve < need) {
      throw fatal(
        'conflict',
        `not enough disk space for ${repoId}: needs ${formatBytes(need)} more, ${formatBytes(free)} free in ${cacheDir}`,
        { diskFull: true, neededBytes: need, freeBytes: free },
      );
    }
  }
}
