// RPC handlers of the sidecar's state (sidecar.status, sidecar.restart): what the status bar shows and
// its restart button, which only applies once the supervisor has given up or been stopped.
import { CoreError } from '../errors/index.ts';
import type { Handlers } from '../rpc/index.ts';
import type { Supervisor } from './supervisorTypes.ts';

export type SidecarHandlers = Pick<Handlers, 'sidecar.status' | 'sidecar.restart'>;

export function sidecarHandlers(sup: Pick<Supervisor, 'status' | 'start'>): SidecarHandlers {
  return {
    'sidecar.status': () => sup.status(),
    'sidecar.restart': async () => {
      const s = sup.status().state;
      if (s !== 'crashed' && s !== 'stopped' && s !== 'idle') {
        throw new CoreError(
          'conflict',
          `the sidecar is ${s}; restart applies to a crashed or stopped sidecar`,
        );
      }
      // A failed start shows in the status returned (crashed, with its error), not as a call error.
      await sup.start().catch(() => undefined);
      return sup.status();
    },
  };
}
