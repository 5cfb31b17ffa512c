// integrations.info for the Integrations page: the API address, whether callers need a key, and every
// name a client may send with the window behind it (from the gateway's listing and model metadata).
import type { integrationMethods } from '#shared/contract/integrations.ts';
import type { Gateway } from '../gateway/index.ts';
import { isLoopbackHost } from '../net/index.ts';
import type { Handlers } from '../rpc/index.ts';

export function integrationHandlers(d: {
  apiBaseUrl: () => string | null;
  gateway: () => Gateway;
}): Pick<Handlers, keyof typeof integrationMethods> {
  return {
    'integrations.info': async () => {
      const gateway = d.gateway();
      const apiBaseUrl = d.apiBaseUrl();
      const [names, metadata] = await Promise.all([gateway.listModels(), gateway.metadata.all()]);
      const windows = new Map(metadata.map((m) => [m.id, m.contextLength]));
      // A LAN binding always requires keys, whatever the setting says (gateway/api/guard.ts).
      const host = apiBaseUrl ? new URL(apiBaseUrl).hostname : '127.0.0.1';
      return {
        apiBaseUrl,
        keyRequired: gateway.settings()['gateway.requireApiKey'] || !isLoopbackHost(host),
        models: names.map((n) => ({
          id: n.id,
          kind: n.kind,
          contextLength: windows.get(n.id) ?? null,
        })),
      };
    },
  };
}
