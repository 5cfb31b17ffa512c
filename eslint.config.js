// Lint rules, including the architecture's import boundaries:
// only src-main/electron (and the preload bridge) may import electron; core and renderer stay apart.
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeModules = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const electronBan = { name: 'electron', message: 'Only src-main/electron/ may import electron.' };

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'out/',
      'dist/',
      'inference-sidecar/',
      'bench/results/',
      'e2e/artifacts/',
    ],
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
    files: ['src-main/core/**', 'scripts/**', 'bench/**', 'e2e/**', 'tests/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronBan],
          patterns: [
            {
              group: ['**/src-renderer/**', '**/electron/**'],
              message: 'core must not depend on the shell or the UI.',
            },
          ],
        },
      ],
    },
  },
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
              // A regex: a gitignore-style '!' cannot re-include a file whose folder is excluded.
              regex: 'src-main/(?!core/rpc/contract(\\.ts)?$)',
              message:
                'The renderer talks to main only through the typed API (src-main/core/rpc/contract.ts).',
            },
          ],
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
