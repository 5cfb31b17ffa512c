// Architecture check: no import cycle between folders (core's areas, the shell, the preload, the shared
// contract, the renderer's folders). Planted trees prove the check sees a cycle, including one via #shared.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { folderCycles, folderEdges } from './folderGraph.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Folder groups that form a cycle today; empty, and a new entry needs a reason beside it. */
const KNOWN_CYCLES: string[][] = [];

const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) fs.rmSync(t, { recursive: true, force: true });
});

function plant(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-cycles-'));
  temps.push(root);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

const cyclesIn = (root: string) => folderCycles(folderEdges(root)).map((c) => c.folders);

describe('folder import cycles', () => {
  it('the source tree has none beyond the known list', () => {
    const found = folderCycles(folderEdges(ROOT));
    const report = found
      .flatMap((c) => [c.folders.join(' <-> '), ...c.edges.map((e) => `  ${e.example}`)])
      .join('\n');
    expect(
      found.map((c) => c.folders),
      report,
    ).toEqual(KNOWN_CYCLES);
  });

  it('finds a planted cycle between two core areas, through a re-export and a type import', () => {
    const root = plant({
      'src-main/core/alpha/index.ts':
        "export { b } from '../beta/index.ts';\nexport const a = 1;\n",
      'src-main/core/beta/index.ts':
        "import type { a } from '../alpha/index.ts';\nexport const b = 2;\n",
      'src-main/core/gamma/index.ts': "import { a } from '../alpha/index.ts';\n",
    });
    expect(cyclesIn(root)).toEqual([['core/alpha', 'core/beta']]);
  });

  it('finds a cycle closed through the #shared alias and a Svelte component', () => {
    const root = plant({
      'src-shared/contract/x.ts': "import { s } from '../../src-renderer/src/lib/ui/s.ts';\n",
      'src-renderer/src/lib/ui/s.ts':
        "export const s = 1;\nimport '../../components/c/C.svelte';\n",
      'src-renderer/src/components/c/C.svelte':
        '<script lang="ts">\n  import { x } from \'#shared/contract/x.ts\';\n</script>\n',
    });
    expect(cyclesIn(root)).toEqual([['renderer/components/c', 'renderer/lib/ui', 'shared']]);
  });

  it('leaves out tests, which may import upward', () => {
    const root = plant({
      'src-main/core/app/index.ts': "import { g } from '../gateway/index.ts';\n",
      'src-main/core/gateway/index.ts': 'export const g = 1;\n',
      'src-main/core/gateway/gateway.test.ts': "import { startCore } from '../app/index.ts';\n",
    });
    expect(cyclesIn(root)).toEqual([]);
  });
});
