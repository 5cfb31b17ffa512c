// Public surface of the sidecar area: the supervisor, the orphan clean-up helpers, the typed admin
// client and the RPC handlers of the sidecar's state.
export { createSupervisor, backoffDelay, DEFAULT_SIDECAR_ARGS } from './supervisor.ts';
export {
  type Supervisor,
  type SupervisorOptions,
  type SidecarState,
  type SidecarStatus,
} from './supervisorTypes.ts';
export { endOrphan, commandLine, isAlive, readPidFile } from './processes.ts';
export { sidecarHandlers, type SidecarHandlers } from './handlers.ts';
export { sidecarAdmin, SidecarProtocolError, type SidecarAdmin } from './adminClient.ts';
export type * from './adminSchema.ts';
