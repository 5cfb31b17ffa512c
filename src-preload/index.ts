// Preload (sandboxed, context-isolated): exposes `window.orchard` with only the typed API —
// call(method, input) for the contract's method names and on(event, listener) — never ipcRenderer.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { EventName, MethodName } from '#shared/contract/index.ts';
import { CALL_CHANNEL, EVENT_CHANNEL } from '../src-main/electron/channels.ts';

/** Names passed by the shell in webPreferences.additionalArguments (the contract itself needs zod). */
export function namesFromArgv(argv: readonly string[], flag: string): string[] {
  const arg = argv.find((a) => a.startsWith(`--${flag}=`));
  return arg
    ? arg
        .slice(flag.length + 3)
        .split(',')
        .filter((n) => n !== '')
    : [];
}

const methods = Object.freeze(
  namesFromArgv(process.argv, 'orchard-methods'),
) as readonly MethodName[];
const eventNames = new Set(namesFromArgv(process.argv, 'orchard-events'));

const api = {
  methods,
  call(method: string, input: unknown): Promise<unknown> {
    if (!(methods as readonly string[]).includes(method)) {
      return Promise.resolve({
        ok: false,
        error: { code: 'not_found', message: `unknown method "${method}"` },
      });
    }
    return ipcRenderer.invoke(CALL_CHANNEL, method, input);
  },
  on(event: string, listener: (data: unknown) => void): () => void {
    if (!eventNames.has(event)) throw new Error(`unknown event "${event}"`);
    // The renderer never sees the IpcRendererEvent (it would expose the sender).
    const handler = (_e: IpcRendererEvent, name: EventName, data: unknown): void => {
      if (name === event) listener(data);
    };
    ipcRenderer.on(EVENT_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, handler);
    };
  },
};

contextBridge.exposeInMainWorld('orchard', api);
