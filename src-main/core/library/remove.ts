// Deletes a model from the HF cache: its snapshot(s), the refs and tree listings that name them, and the blobs
// no remaining snapshot links to. A repo left with no snapshot is removed entirely.
import fs from 'node:fs';
import path from 'node:path';
import { repoCache } from '../hfcache/index.ts';

function linkedBlobs(snapshotDir: string): Set<string> {
  const out = new Set<string>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isSymbolicLink()) out.add(path.basename(fs.readlinkSync(p)));
    }
  };
  if (fs.existsSync(snapshotDir)) walk(snapshotDir);
  return out;
}

export function removeFromCache(
  cacheDir: string,
  repoId: string,
  commits?: string[],
): { freedBytes: number; removedSnapshots: string[] } {
  const cache = repoCache(cacheDir, repoId);
  const snapDir = path.join(cache.root, 'snapshots');
  const all = fs.existsSync(snapDir) ? fs.readdirSync(snapDir) : [];
  const doomed = commits ?? all;
  const kept = all.filter((c) => !doomed.includes(c));
  const keep = new Set<string>();
  for (const c of kept) for (const b of linkedBlobs(cache.snapshot(c))) keep.add(b);
  let freed = 0;
  for (const c of doomed) {
    fs.rmSync(cache.snapshot(c), { recursive: true, force: true });
    fs.rmSync(cache.tree(c), { force: true });
  }
  // Refs that point at a removed snapshot would send huggingface_hub to a folder that is gone.
  const refsDir = path.join(cache.root, 'refs');
  const walkRefs = (d: string): void => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walkRefs(p);
      else if (doomed.includes(fs.readFileSync(p, 'utf8').trim())) fs.rmSync(p);
    }
  };
  walkRefs(refsDir);
  const blobsDir = path.join(cache.root, 'blobs');
  if (fs.existsSync(blobsDir)) {
    for (const b of fs.readdirSync(blobsDir)) {
      if (keep.has(b) || b.endsWith('.incomplete')) continue;
      const p = path.join(blobsDir, b);
      freed += fs.statSync(p).size;
      fs.rmSync(p, { force: true });
    }
  }
  if (kept.length === 0 && !(fs.existsSync(blobsDir) && fs.readdirSync(blobsDir).length > 0)) {
    fs.rmSync(cache.root, { recursive: true, force: true });
  }
  return { freedBytes: freed, removedSnapshots: doomed };
}
