// Runs the TypeScript CLI inside the calling node process with tsx's loader registered at run time.
// The loader is imported only after the setup, since tsx comes from node_modules that the setup installs.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function runCoreInProcess(argv) {
  const { register } = await import('tsx/esm/api');
  register();
  const { run } = await import(
    pathToFileURL(join(root, 'src-main', 'core', 'cli', 'main.ts')).href
  );
  process.exit(await run(argv));
}
