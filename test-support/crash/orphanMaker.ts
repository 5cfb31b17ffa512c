// Test helper process: plays a core that starts the fake sidecar and is then SIGKILLed by the test,
// so the sidecar outlives it with a pid file left behind.
import { createSupervisor } from '../../src-main/core/sidecar/index.ts';
import { memoryLogger, VENV_PYTHON } from '../sidecar/kit.ts';

const [pidFile, fake] = process.argv.slice(2) as [string, string];
const sup = createSupervisor({
  python: VENV_PYTHON,
  args: [fake, '--mode', 'ok'],
  processMarker: 'fake_sidecar',
  hfHubCache: '/nonexistent',
  pidFile,
  log: memoryLogger().log,
});
await sup.start();
process.stdout.write(`ready ${sup.status().pid}\n`);
setInterval(() => {}, 1000);
