// RPC handlers of the engine screen: status with the versions in use, install (when not ready) and
// repair (always afresh) started off the request path, and a fresh probe of the engine in use.
import type { Handlers } from '../rpc/index.ts';
import type { EngineService } from './service.ts';

export type EngineHandlers = Pick<
  Handlers,
  'engine.status' | 'engine.install' | 'engine.repair' | 'engine.verify'
>;

export function engineHandlers(engine: EngineService): EngineHandlers {
  return {
    'engine.status': () => engine.describe(),
    // An install takes minutes: the call returns once it started (or joined the one under way);
    // progress and the outcome come as events. A checkout's .venv is refused here, with the reason.
    'engine.install': () => engine.start('install'),
    'engine.repair': () => engine.start('repair'),
    'engine.verify': () => engine.verify(),
  };
}
