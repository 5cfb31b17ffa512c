// Public surface of the sidecar area: the supervisor and the orphan clean-up helpers.
export {
  createSupervisor,
  backoffDelay,
  DEFAULT_SIDECAR_ARGS,
  type Supervisor,
  type SupervisorOptions,
  type SidecarState,
  type SidecarStatus,
} from './supervisor.ts';
export { endOrphan, commandLine, isAlive, readPidFile } from './processes.ts';
export { sidecarAdmin, SidecarProtocolError, type SidecarAdmin } from './adminClient.ts';
export type * from './adminSchema.ts';
