// Lint rules, including the architecture's import boundaries: only src-main/electron (and the preload
// bridge) may import electron; core and renderer stay apart; core's layers import only downward; the
// shared contract (src-shared/) imports only zod and itself, and everyone else reaches it as #shared/….
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import orchard from './scripts/eslint-rules.mjs';

const nodeModules = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const electronBan = { name: 'electron', message: 'Only src-main/electron/ may import electron.' };
const sharedByAlias = {
  regex: '(^|/)src-shared(/|$)',
  message:
    'Import the shared contract as #shared/… (package.json "imports"), not by a relative path.',
};
/** package.json "imports" entries such as `#shared/*` -> `./src-shared/*`, as prefix -> folder. */
const importAliases = Object.fromEntries(
  Object.entries(JSON.parse(fs.readFileSync(new URL('./package.json', import.meta.url))).imports)
    .filter(([from, to]) => from.endsWith('/*') && to.endsWith('/*'))
    .map(([from, to]) => [from.slice(0, -1), to.slice(0, -1)]),
);

// The layers of src-main/core: errors at the bottom, then log, config and db, then the areas (every
// other folder, read from the tree so a new area is covered at once), then app and cli on top.
const CORE = 'src-main/core';
const LOWER = ['errors', 'log', 'config', 'db'];
const TOP = ['app', 'cli'];
const AREAS = fs
  .readdirSync(new URL(`./${CORE}/`, import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory() && !LOWER.includes(d.name) && !TOP.includes(d.name))
  .map((d) => d.name);
/** A relative import that climbs out of the file's folder into one of these core folders. */
const into = (folders) => `^(\\.\\./)+(${folders.join('|')})(/|$)`;
const LAYERS = [
  {
    folders: ['errors'],
    patterns: [
      {
        regex: '^\\.\\.(/|$)',
        message: 'errors/ is the bottom layer of core: it imports nothing else from core.',
      },
    ],
  },
  {
    folders: ['log', 'config', 'db'],
    patterns: [
      {
        regex: into([...AREAS, ...TOP]),
        message: `log/, config/ and db/ sit below the areas: they import only from ${LOWER.join(', ')}.`,
      },
    ],
  },
  {
    folders: AREAS,
    patterns: [
      {
        regex: into(TOP),
        message:
          'Areas sit below app/ (the composition root) and cli/: an area never imports them; app hands it what it needs.',
      },
      {
        // Anything under another area's folder but its index.ts (the area's public surface).
        regex: `^(\\.\\./)+(${AREAS.join('|')})/(?!index\\.ts$)`,
        message: "Another area is imported only through its index.ts, the area's public surface.",
      },
    ],
  },
];

/**
 * no-restricted-imports for core (and scripts, bench, e2e, tests): what all of them obey plus `patterns`.
 * Flat config replaces a rule's options instead of merging them, so every config object that sets the
 * rule for these files builds its whole list here.
 */
const coreImports = (...patterns) => [
  'error',
  {
    paths: [electronBan],
    patterns: [
      {
        group: ['**/src-renderer/**', '**/electron/**'],
        message: 'core must not depend on the shell or the UI.',
      },
      sharedByAlias,
      ...patterns,
    ],
  },
];

export default tseslint.config(
  {
    ignores: ['node_modules/', 'out/', 'inference-sidecar/', 'bench/results/', 'e2e/artifacts/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parserOptions: { parser: tseslint.parser },
      globals: { ...globals.browser },
    },
  },
  {
    files: [`${CORE}/**`, 'scripts/**', 'bench/**', 'e2e/**', 'tests/**'],
    rules: { 'no-restricted-imports': coreImports() },
  },
  // Product code imports only downward; a test may start the whole core (app/) to drive its area.
  ...LAYERS.map(({ folders, patterns }) => ({
    files: folders.map((f) => `${CORE}/${f}/**`),
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': coreImports(...patterns) },
  })),
  {
    files: ['src-renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            electronBan,
            ...nodeModules.map((name) => ({ name, message: 'The renderer runs in a browser.' })),
          ],
          patterns: [
            {
              regex: '(^|/)src-main(/|$)',
              message:
                'The renderer talks to main only through the typed API, whose contract is #shared/contract.',
            },
            sharedByAlias,
          ],
        },
      ],
    },
  },
  {
    files: ['src-main/electron/**', 'src-preload/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/src-renderer/**'], message: 'The shell reaches the UI only over IPC.' },
            sharedByAlias,
          ],
        },
      ],
    },
  },
  {
    // Runtime-neutral: compiled for Node and for the browser, so nothing of either, nor of core or the UI.
    files: ['src-shared/**'],
    plugins: { orchard },
    rules: {
      'orchard/only-imports': [
        'error',
        {
          packages: ['zod'],
          folders: ['src-shared'],
          aliases: importAliases,
          message: 'src-shared/ imports only zod and its own files.',
        },
      ],
    },
  },
  {
    files: ['src-shared/**/*.test.ts'],
    rules: {
      'orchard/only-imports': [
        'error',
        {
          packages: ['zod', 'vitest'],
          folders: ['src-shared'],
          aliases: importAliases,
          message: "src-shared/'s tests import only zod, vitest and src-shared/.",
        },
      ],
    },
  },
  {
    // Test support (Hub test server, kits, crash children, the Electron stand-in) never ships: product code
    // may not import it; tests beside the code, e2e/, bench/ and test-support/ itself may.
    // The typescript-eslint twin of no-restricted-imports, so these options do not replace the folder
    // rules' no-restricted-imports options above (flat config replaces a rule's options, never merges).
    files: ['src-main/**', 'src-preload/**', 'src-renderer/**', 'src-shared/**'],
    ignores: ['**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)test-support(/|$)',
              message:
                'Product code must not import test-support/ (only tests, e2e and bench may).',
            },
          ],
        },
      ],
    },
  },
);
