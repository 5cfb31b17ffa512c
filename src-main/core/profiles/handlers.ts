// RPC handlers of the Profiles screen (profiles.*): inputs arrive validated, the service checks again
// and owns every write.
import type { profileMethods } from '#shared/contract/profiles.ts';
import type { Handlers } from '../rpc/index.ts';
import type { ProfileService } from './service.ts';

export type ProfileHandlers = Pick<Handlers, keyof typeof profileMethods>;

export function profileHandlers(profiles: ProfileService): ProfileHandlers {
  return {
    'profiles.list': () => profiles.list(),
    'profiles.get': ({ id }) => profiles.get(id),
    'profiles.create': (input) => profiles.create(input),
    'profiles.update': ({ id, patch }) => profiles.update(id, patch),
    'profiles.duplicate': ({ id, name }) => profiles.duplicate(id, name),
    'profiles.delete': ({ id }) => {
      profiles.delete(id);
      return { ok: true as const };
    },
    'profiles.setDefault': ({ id }) => profiles.setDefault(id),
  };
}
