// RPC handlers of the engine screen: status, install (when not ready) and repair (always afresh).
import type { Handlers } from '../rpc/index.ts';
import type { EngineService } from './service.ts';

export type EngineHandlers = Pick<Handlers, 'engine.status' | 'engine.install' | 'engine.repair'>;

export function engineHandlers(engine: EngineService): EngineHandlers {
  return {
    'engine.status': () => engine.status(),
    'engine.install': () => engine.install(),
    'engine.repair': () => engine.repair(),
  };
}
