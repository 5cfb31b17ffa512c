// Architecture check: product code may not import test-support/, while tests, e2e/, bench/ and test support
// itself may. Plants imports into virtual files and lints them with the repository's own ESLint config.
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const RULE = '@typescript-eslint/no-restricted-imports';
const eslint = new ESLint({ cwd: ROOT });

/** Lint `code` as if it lived at `file` (relative to the repo); the messages of the test-support rule. */
async function violations(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  expect(result?.fatalErrorCount).toBe(0);
  return (result?.messages ?? []).filter((m) => m.ruleId === RULE).map((m) => m.message);
}

const BANNED = 'Product code must not import test-support/ (only tests, e2e and bench may).';

describe('product code importing test support', () => {
  it.each([
    ['src-main/core/db/x.ts', "import { makeTempDir } from '../../../test-support/tmp.ts';"],
    [
      'src-main/core/gateway/x.ts',
      "export { startGateway } from '../../../test-support/gateway/kit.ts';",
    ],
    [
      'src-main/core/hub/x.ts',
      "import type { HubServer } from '../../../test-support/hub/server.ts';",
    ],
    [
      'src-main/electron/x.ts',
      "import { state } from '../../test-support/electron/fakeElectron.ts';",
    ],
    ['src-preload/x.ts', "import { makeTempDir } from '../test-support/tmp.ts';"],
    [
      'src-renderer/src/lib/x.ts',
      "import { waitUntil } from '../../../test-support/sidecar/kit.ts';",
    ],
    ['src-shared/x.ts', "import { makeTempDir } from '../test-support/tmp.ts';"],
  ])('%s is an error', async (file, code) => {
    expect(await violations(file, `${code}\n`)).toEqual([expect.stringContaining(BANNED)]);
  });

  it('is an error in a Svelte component too', async () => {
    const code = `<script lang="ts">\n  import { makeTempDir } from '../../test-support/tmp.ts';\n  makeTempDir();\n</script>\n`;
    expect(await violations('src-renderer/src/X.svelte', code)).toEqual([
      expect.stringContaining(BANNED),
    ]);
  });
});

describe('the folder rules', () => {
  it('still hold beside this one (flat config would replace, not merge, the same rule)', async () => {
    const file = 'src-main/core/db/x.ts';
    const code =
      "import { app } from 'electron';\nimport { makeTempDir } from '../../../test-support/tmp.ts';\n";
    const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
    const rules = (result?.messages ?? []).map((m) => m.ruleId);
    expect(rules).toContain('no-restricted-imports');
    expect(rules).toContain(RULE);
  });
});

describe('test code importing test support', () => {
  it.each([
    ['src-main/core/db/x.test.ts', "import { makeTempDir } from '../../../test-support/tmp.ts';"],
    [
      'src-main/electron/x.test.ts',
      "import { state } from '../../test-support/electron/fakeElectron.ts';",
    ],
    [
      'src-renderer/src/lib/x.test.ts',
      "import { makeTempDir } from '../../../test-support/tmp.ts';",
    ],
    ['e2e/x.spec.ts', "import { startHubServer } from '../test-support/hub/server.ts';"],
    ['bench/x.ts', "import { PULL_CHILD } from '../test-support/crash/index.ts';"],
    ['tests/x/x.test.ts', "import { makeTempDir } from '../../test-support/tmp.ts';"],
    ['test-support/hub/x.ts', "import { openDatabase } from '../../src-main/core/db/index.ts';"],
  ])('%s is allowed', async (file, code) => {
    expect(await violations(file, `${code}\n`)).toEqual([]);
  });
});
