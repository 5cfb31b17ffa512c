// Vitest environment for the renderer's unit tests: Node, but modules are transformed as the browser gets
// them, so `.svelte.ts` runes compile for the client and `svelte` resolves to its client runtime.
import type { Environment } from 'vitest/environments';

const environment: Environment = {
  name: 'renderer',
  viteEnvironment: 'client',
  setup: () => ({ teardown: () => {} }),
};

export default environment;
