// Finds local models: complete snapshots in the HF cache (ours, mlx-lm's, the hf CLI's) and model folders in
// extra folders from settings, each with size, kind, capabilities, quantization, last use and loaded state.
import fs from 'node:fs';
import path from 'node:path';
import { readRef, readTreeCache, repoCache, repoIdFromFolder } from '../hfcache/index.ts';
import {
  parseConfig,
  summarizeConfig,
  type ModelCapability,
  type ModelKind,
  type Quantization,
} from '../hub/index.ts';

export interface LibraryModel {
  repoId: string;
  source: 'hf-cache' | 'folder';
  path: string;
  revision: string | null;
  sizeBytes: number;
  files: number;
  kind: ModelKind;
  /** Read from the local config.json by the rule Discover uses (hub/modelConfig.ts). */
  capabilities: ModelCapability[];
  modelType: string | null;
  architectures: string[];
  quantization: Quantization | null;
  lastUsedAt: number | null;
  loaded: boolean;
}

const WEIGHTS = /\.(safetensors|gguf|npz|bin)$/;

function listFiles(dir: string, base = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = base ? `${base}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(path.join(dir, e.name), rel));
    else out.push(rel);
  }
  return out;
}

/** Size on disk of a model folder, each blob counted once however many links point at it. */
function describeFolder(dir: string): { size: number; files: string[]; complete: boolean } {
  const files = listFiles(dir);
  const seen = new Set<string>();
  let size = 0;
  let complete = true;
  for (const f of files) {
    try {
      const real = fs.realpathSync(path.join(dir, f));
      if (seen.has(real)) continue;
      seen.add(real);
      size += fs.statSync(real).size;
    } catch {
      complete = false; // dangling link: a blob is missing
    }
  }
  return { size, files, complete };
}

function summarize(dir: string, files: string[]) {
  let config = null;
  try {
    config = parseConfig(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  } catch {
    config = null;
  }
  return summarizeConfig(config, { files });
}

/** The snapshot a repo's library entry shows: refs/main when present, else the newest snapshot. */
export function currentSnapshot(cacheDir: string, repoId: string): string | null {
  const cache = repoCache(cacheDir, repoId);
  const main = readRef(cache, 'main');
  if (main && fs.existsSync(cache.snapshot(main))) return main;
  let best: { c: string; t: number } | null = null;
  try {
    for (const c of fs.readdirSync(path.join(cache.root, 'snapshots'))) {
      const t = fs.statSync(cache.snapshot(c)).mtimeMs;
      if (!best || t > best.t) best = { c, t };
    }
  } catch {
    return null;
  }
  return best?.c ?? null;
}

export function scanCache(cacheDir: string): Array<Omit<LibraryModel, 'lastUsedAt' | 'loaded'>> {
  const out: Array<Omit<LibraryModel, 'lastUsedAt' | 'loaded'>> = [];
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(cacheDir);
  } catch {
    return out;
  }
  for (const folder of entries.sort()) {
    const repoId = repoIdFromFolder(folder);
    if (!repoId) continue;
    const commit = currentSnapshot(cacheDir, repoId);
    if (!commit) continue;
    const cache = repoCache(cacheDir, repoId);
    const dir = cache.snapshot(commit);
    const { size, files, complete } = describeFolder(dir);
    if (!complete || !files.includes('config.json') || !files.some((f) => WEIGHTS.test(f)))
      continue;
    // huggingface_hub's tree listing, when present, says which files a complete snapshot has.
    const tree = readTreeCache(cache, commit);
    if (tree && tree.some((t) => !files.includes(t.path))) continue;
    const s = summarize(dir, files);
    out.push({
      repoId,
      source: 'hf-cache',
      path: dir,
      revision: commit,
      sizeBytes: size,
      files: files.length,
      kind: s.kind,
      capabilities: s.capabilities,
      modelType: s.modelType,
      architectures: s.architectures,
      quantization: s.quantization,
    });
  }
  return out;
}

/** Model folders (config.json + weights) in an extra folder, at depth 0, 1 or 2 (org/name layouts). */
export function scanFolder(root: string): Array<Omit<LibraryModel, 'lastUsedAt' | 'loaded'>> {
  const out: Array<Omit<LibraryModel, 'lastUsedAt' | 'loaded'>> = [];
  const visit = (dir: string, depth: number): void => {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return;
    }
    if (names.includes('config.json') && names.some((n) => WEIGHTS.test(n))) {
      const { size, files } = describeFolder(dir);
      const s = summarize(dir, files);
      const rel = path.relative(root, dir).split(path.sep).join('/');
      out.push({
        repoId: rel || path.basename(dir),
        source: 'folder',
        path: dir,
        revision: null,
        sizeBytes: size,
        files: files.length,
        kind: s.kind,
        capabilities: s.capabilities,
        modelType: s.modelType,
        architectures: s.architectures,
        quantization: s.quantization,
      });
      return;
    }
    if (depth >= 2) return;
    for (const n of names.sort()) {
      if (n.startsWith('.')) continue;
      const p = path.join(dir, n);
      if (fs.statSync(p, { throwIfNoEntry: false })?.isDirectory()) visit(p, depth + 1);
    }
  };
  visit(root, 0);
  return out;
}
