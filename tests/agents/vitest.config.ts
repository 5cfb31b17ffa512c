// The real-agent suite on its own (npm run test:agents): Claude Code and Codex prefill their ~8k-token
// prompts on CPU for minutes, more than `npm test`'s time budget allows, so the main config leaves it out.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['tests/agents/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
