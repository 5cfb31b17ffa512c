// Architecture check: the layers of src-main/core (errors; log, config, db; the areas; app and cli), each
// importing only downward, and an area reaching another only through its index.ts. Plants imports into
// virtual files and lints them with the repository's own ESLint config.
import fs from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CORE = path.join(ROOT, 'src-main', 'core');
const RULE = 'no-restricted-imports';
const eslint = new ESLint({ cwd: ROOT });

/** Lint `code` as if it lived at `file` (relative to the repo); the messages of the import rule. */
async function violations(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\n`, { filePath: path.join(ROOT, file) });
  expect(result?.fatalErrorCount).toBe(0);
  return (result?.messages ?? []).filter((m) => m.ruleId === RULE).map((m) => m.message);
}

const ERRORS = 'errors/ is the bottom layer of core';
const LOWER = 'log/, config/ and db/ sit below the areas';
const AREA = 'Areas sit below app/';
const SURFACE = 'Another area is imported only through its index.ts';

const LOWER_FOLDERS = ['errors', 'log', 'config', 'db'];
const TOP_FOLDERS = ['app', 'cli'];
const areas = fs
  .readdirSync(CORE, { withFileTypes: true })
  .filter((d) => d.isDirectory() && ![...LOWER_FOLDERS, ...TOP_FOLDERS].includes(d.name))
  .map((d) => d.name);

describe('the layers of core', () => {
  it.each([
    ['src-main/core/errors/x.ts', "import { createLogs } from '../log/index.ts';", ERRORS],
    ['src-main/core/errors/x.ts', "import { loadConfig } from '../config/index.ts';", ERRORS],
    ['src-main/core/db/x.ts', "import { createGateway } from '../gateway/index.ts';", LOWER],
    ['src-main/core/db/x.ts', "import type { Repos } from '../app/stores.ts';", LOWER],
    [
      'src-main/core/db/migrations/x.ts',
      "import { profilesStore } from '../../profiles/store.ts';",
      LOWER,
    ],
    ['src-main/core/config/x.ts', "export { startCore } from '../app/index.ts';", LOWER],
    ['src-main/core/log/x.ts', "import { run } from '../cli/index.ts';", LOWER],
    ['src-main/core/gateway/x.ts', "import { createRepos } from '../app/stores.ts';", AREA],
    ['src-main/core/gateway/api/x.ts', "import { run } from '../../cli/index.ts';", AREA],
    ['src-main/core/settings/x.ts', "import type { Core } from '../app/index.ts';", AREA],
    [
      'src-main/core/memory/x.ts',
      "import type { SettingsStore } from '../settings/store.ts';",
      SURFACE,
    ],
    [
      'src-main/core/gateway/api/x.ts',
      "import { applyProfile } from '../../profiles/apply.ts';",
      SURFACE,
    ],
    ['src-main/core/library/x.ts', "export { layout } from '../hfcache/layout/index.ts';", SURFACE],
  ])('%s: %s is an error', async (file, code, message) => {
    expect(await violations(file, code)).toEqual([expect.stringContaining(message)]);
  });

  it.each([
    ['src-main/core/db/x.ts', "import { CoreError } from '../errors/index.ts';"],
    ['src-main/core/db/migrations/x.ts', "import type { Migration } from './types.ts';"],
    ['src-main/core/config/x.ts', "import { CoreError } from '../errors/index.ts';"],
    ['src-main/core/log/x.ts', "import type { Config } from '../config/index.ts';"],
    ['src-main/core/settings/x.ts', "import { openDatabase } from '../db/index.ts';"],
    ['src-main/core/memory/x.ts', "import { loadOptions } from '../profiles/index.ts';"],
    ['src-main/core/memory/x.ts', "import { memoryStatus } from './policy.ts';"],
    ['src-main/core/gateway/api/x.ts', "import { routingService } from '../routing/service.ts';"],
    ['src-main/core/app/x.ts', "import { memoryHandlers } from '../memory/index.ts';"],
    ['src-main/core/cli/x.ts', "import { startCore } from '../app/index.ts';"],
    // A test may start the whole core to drive its area through RPC.
    ['src-main/core/settings/x.test.ts', "import { startCore } from '../app/index.ts';"],
  ])('%s: %s is allowed', async (file, code) => {
    expect(await violations(file, code)).toEqual([]);
  });

  it('covers every folder of core: each one not in a lower layer or on top is an area', async () => {
    expect(areas.length).toBeGreaterThan(5);
    for (const area of areas) {
      const file = `src-main/core/${area}/x.ts`;
      expect(await violations(file, "import { startCore } from '../app/index.ts';"), area).toEqual([
        expect.stringContaining(AREA),
      ]);
    }
  });

  it('keeps the core-wide rules beside the layer rule (flat config replaces options, never merges)', async () => {
    const code =
      "import { app } from 'electron';\nimport { createGateway } from '../gateway/index.ts';";
    const messages = await violations('src-main/core/db/x.ts', code);
    expect(messages).toEqual([
      expect.stringContaining('Only src-main/electron/ may import electron.'),
      expect.stringContaining(LOWER),
    ]);
  });
});
