// Unit and integration tests for the TypeScript side; Python has its own pytest suite.
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'src-main/**/*.test.ts',
      'src-shared/**/*.test.ts',
      'src-renderer/**/*.test.ts',
      'tests/**/*.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    // Two projects over the globs above: the renderer's tests get their modules as the browser does
    // (runes in `.svelte.ts` compiled for the client, svelte's client runtime); the rest stay Node's.
    projects: [
      {
        extends: true,
        // The real agents take minutes of CPU prefill: `npm run test:agents` (tests/agents/vitest.config.ts).
        test: {
          name: 'node',
          exclude: [...configDefaults.exclude, 'src-renderer/**', 'tests/agents/**'],
        },
      },
      {
        extends: true,
        plugins: [svelte({ configFile: false })],
        // svelte and esm-env pick their browser builds (client runtime, BROWSER true) by this condition.
        resolve: { conditions: ['browser'] },
        // `dir` keeps this project inside src-renderer, whatever the inherited globs name.
        test: {
          name: 'renderer',
          dir: 'src-renderer',
          include: ['**/*.test.ts'],
          environment: './src-renderer/test/environment.ts',
        },
      },
    ],
  },
});
