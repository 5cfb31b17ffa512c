// Architecture check: src-shared/ imports only zod and itself; the renderer imports nothing of src-main;
// everyone reaches src-shared/ through #shared/. Planted imports are linted with the repository's config.
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: ROOT });

/** Lint `code` as if it lived at `file` (relative to the repo); the import-rule messages. */
async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  expect(result?.fatalErrorCount).toBe(0);
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'orchard/only-imports' || m.ruleId === 'no-restricted-imports')
    .map((m) => `${m.ruleId}: ${m.message}`);
}

const ONLY_ZOD = 'orchard/only-imports';
const NO_MAIN = 'The renderer talks to main only through the typed API';
const BY_ALIAS = 'Import the shared contract as #shared/';

describe('src-shared imports nothing but zod and itself', () => {
  it.each([
    ['src-shared/contract/x.ts', "import fs from 'node:fs';"],
    ['src-shared/x.ts', "import { readFile } from 'fs';"],
    ['src-shared/x.ts', "import { Marked } from 'marked';"],
    ['src-shared/x.ts', "import { test } from 'vitest';"],
    ['src-shared/contract/x.ts', "import { openDatabase } from '../../src-main/core/db/index.ts';"],
    ['src-shared/contract/x.ts', "export * from '../../src-renderer/src/lib/ui/format.ts';"],
    ['src-shared/x.ts', "export const load = () => import('node:path');"],
    ['src-shared/x.ts', "export type S = import('node:fs').Stats;"],
    ['src-shared/x.ts', "import type { Config } from '#main/config.ts';"],
  ])('%s: %s is an error', async (file, code) => {
    expect(await problems(file, `${code}\n`)).toEqual([expect.stringContaining(ONLY_ZOD)]);
  });

  it.each([
    ['src-shared/contract/x.ts', "import { z } from 'zod';\nimport { method } from './common.ts';"],
    ['src-shared/contract/x.ts', "import { sseParser } from '../sse.ts';"],
    [
      'src-shared/x.ts',
      "import * as m from 'zod/mini';\nimport { contract } from './contract/index.ts';",
    ],
    ['src-shared/x.test.ts', "import { it } from 'vitest';\nimport { sseParser } from './sse.ts';"],
  ])('%s: %s is allowed', async (file, code) => {
    expect(await problems(file, `${code}\n`)).toEqual([]);
  });
});

describe('contracts come from src-shared, through its alias', () => {
  it.each([
    [
      'src-renderer/src/lib/state/x.svelte.ts',
      "import { connectRpc } from '../../../../src-main/core/rpc/index.ts';",
      NO_MAIN,
    ],
    [
      'src-renderer/src/lib/x.ts',
      "import type { Profile } from '../../../src-main/core/profiles/index.ts';",
      NO_MAIN,
    ],
    [
      'src-renderer/src/lib/x.ts',
      "import { contract } from '../../../src-shared/contract/index.ts';",
      BY_ALIAS,
    ],
    [
      'src-main/core/rpc/x.ts',
      "import { contract } from '../../../src-shared/contract/index.ts';",
      BY_ALIAS,
    ],
    [
      'src-main/electron/x.ts',
      "import { contract } from '../../src-shared/contract/index.ts';",
      BY_ALIAS,
    ],
    [
      'src-preload/x.ts',
      "import type { MethodName } from '../src-shared/contract/index.ts';",
      BY_ALIAS,
    ],
    [
      'src-main/electron/x.ts',
      "import { renderMarkdown } from '../../src-renderer/src/lib/ui/markdown.ts';",
      'The shell reaches the UI only over IPC.',
    ],
  ])('%s: %s is an error', async (file, code, message) => {
    expect(await problems(file, `${code}\n`)).toEqual([expect.stringContaining(message)]);
  });

  it('is an error in a Svelte component too', async () => {
    const code = `<script lang="ts">\n  import type { Profile } from '../../../src-main/core/profiles/index.ts';\n  let p: Profile | null = null;\n  p = null;\n</script>\n`;
    expect(await problems('src-renderer/src/components/X.svelte', code)).toEqual([
      expect.stringContaining(NO_MAIN),
    ]);
  });

  it.each([
    ['src-renderer/src/lib/x.ts', "import type { MethodName } from '#shared/contract/index.ts';"],
    ['src-main/core/rpc/x.ts', "import { contract } from '#shared/contract/index.ts';"],
    ['src-main/electron/x.ts', "import { events } from '#shared/contract/index.ts';"],
    ['src-preload/x.ts', "import type { EventName } from '#shared/contract/index.ts';"],
  ])('%s: %s is allowed', async (file, code) => {
    expect(await problems(file, `${code}\n`)).toEqual([]);
  });

  it("keeps core's own folder rules beside the alias rule (flat config replaces a rule's options)", async () => {
    const code = "import { app } from 'electron';\nimport { x } from '../../../src-shared/x.ts';\n";
    expect(await problems('src-main/core/db/x.ts', code)).toEqual([
      expect.stringContaining('Only src-main/electron/ may import electron.'),
      expect.stringContaining(BY_ALIAS),
    ]);
  });
});
