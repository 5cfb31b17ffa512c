// The import graph between the source tree's folders (core's areas, the shell, the preload, the shared
// contract, the renderer's folders) and its cycles. Tests are left out: a test may reach upward.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** The folder a file belongs to, or null when it is not product code of a tracked root. */
export function folderOf(relFile: string): string | null {
  const parts = relFile.split(path.sep).join('/').split('/');
  if (/\.test\.ts$|\.spec\.ts$/.test(relFile)) return null;
  if (parts[0] === 'src-main' && parts[1] === 'core' && parts.length > 3) return `core/${parts[2]}`;
  if (parts[0] === 'src-main' && parts[1] === 'electron') return 'electron';
  if (parts[0] === 'src-preload') return 'preload';
  if (parts[0] === 'src-shared') return 'shared';
  if (parts[0] === 'src-renderer' && parts[1] === 'src') {
    if (parts.length === 3) return 'renderer';
    return parts[2] === 'lib' || parts[2] === 'components'
      ? `renderer/${parts[2]}/${parts.length > 4 ? parts[3] : ''}`.replace(/\/$/, '')
      : `renderer/${parts[2]}`;
  }
  return null;
}

const ROOTS = ['src-main', 'src-preload', 'src-shared', 'src-renderer/src'];
const SOURCE = /\.(ts|svelte|mjs|js)$/;

function* walk(dir: string): Generator<string> {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') yield* walk(p);
    } else if (SOURCE.test(e.name)) yield p;
  }
}

function specifiers(file: string): string[] {
  let text = fs.readFileSync(file, 'utf8');
  if (file.endsWith('.svelte')) {
    text = [...text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join('\n');
  }
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/** Where a specifier points, relative to the root, for the relative and `#shared/` forms. */
function resolve(root: string, fromFile: string, spec: string): string | null {
  if (spec.startsWith('#shared/')) return path.join('src-shared', spec.slice('#shared/'.length));
  if (spec.startsWith('./') || spec.startsWith('../'))
    return path.relative(root, path.resolve(path.dirname(fromFile), spec));
  return null;
}

export interface FolderEdge {
  from: string;
  to: string;
  /** One import that makes the edge: the importing file and what it imports. */
  example: string;
}

export function folderEdges(root: string): FolderEdge[] {
  const edges = new Map<string, FolderEdge>();
  for (const r of ROOTS) {
    for (const file of walk(path.join(root, r))) {
      const rel = path.relative(root, file);
      const from = folderOf(rel);
      if (from === null) continue;
      for (const spec of specifiers(file)) {
        const target = resolve(root, file, spec);
        const to = target === null ? null : folderOf(target);
        if (to === null || to === from) continue;
        const key = `${from}\0${to}`;
        if (!edges.has(key)) edges.set(key, { from, to, example: `${rel} imports ${spec}` });
      }
    }
  }
  return [...edges.values()];
}

/** Strongly connected groups of two or more folders (Tarjan), each sorted, with the edges inside it. */
export function folderCycles(
  edges: FolderEdge[],
): Array<{ folders: string[]; edges: FolderEdge[] }> {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) groups.push(group.sort());
    }
  };
  for (const v of new Set(edges.flatMap((e) => [e.from, e.to]))) if (!index.has(v)) visit(v);
  return groups.map((folders) => ({
    folders,
    edges: edges.filter((e) => folders.includes(e.from) && folders.includes(e.to)),
  }));
}
