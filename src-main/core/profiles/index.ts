// Public surface of the profiles area: the store, the CRUD service, its RPC handlers and applying a
// profile to a request (the schemas are the contract's, in #shared/contract/profiles.ts).
export { applyProfile, loadOptions } from './apply.ts';
export { profilesStore, type ProfileRow, type ProfilesStore } from './store.ts';
export { profileService, type ProfileService } from './service.ts';
export { profileHandlers, type ProfileHandlers } from './handlers.ts';
