// What the supervisor of the Python sidecar is to the rest of core: its states, its status record,
// its options and its interface. The process handling itself lives in supervisor.ts.
import type { EventEmitter } from 'node:events';
import type { Logger } from '../log/index.ts';

export type SidecarState = 'idle' | 'starting' | 'ready' | 'restarting' | 'crashed' | 'stopped';

export interface SidecarStatus {
  state: SidecarState;
  pid: number | null;
  port: number | null;
  /** Crashes counted inside the current crash window. */
  recentCrashes: number;
  inFlight: number;
  /** Why the last launch ended, when it was not asked to. */
  lastError: string | null;
  /** Last lines the sidecar wrote to stderr; shown to the user when it is `crashed`. */
  stderrTail: string[];
}

export interface SupervisorOptions {
  python: string;
  /** Arguments after the interpreter; default runs the real sidecar module. */
  args?: string[];
  cwd?: string;
  env?: Record<string, string>;
  hfHubCache: string;
  pidFile: string;
  log: Logger;
  /** Substring of the command line that proves a pid is ours (orphan clean-up). */
  processMarker?: string;
  startTimeoutMs?: number;
  healthIntervalMs?: number;
  healthTimeoutMs?: number;
  /** Consecutive failed health checks before the sidecar is declared hung and killed. */
  healthFailures?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  crashLimit?: number;
  crashWindowMs?: number;
  stopGraceMs?: number;
  /** How long a request made while (re)starting waits for ready. */
  waitReadyMs?: number;
}

export interface SupervisorEvents {
  state: [SidecarStatus];
}

export interface Supervisor {
  /** Resolves once the sidecar is ready; rejects if it ends up `crashed` or is stopped first. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** stop, then start; from another Python and folder when given (after an engine repair). */
  restart(target?: { python: string; cwd?: string }): Promise<void>;
  status(): SidecarStatus;
  events: EventEmitter<SupervisorEvents>;
  /** fetch against the sidecar: adds the secret, waits for a (re)start, fails at once if the child dies. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** request + JSON body, with non-2xx turned into CoreError('sidecar_error'). */
  json<T = unknown>(path: string, init?: RequestInit & { body?: string }): Promise<T>;
  /**
   * Base URL and Authorization value of the sidecar while it is ready, for a caller that brings its own
   * HTTP client (the gateway benchmark compares one client against the sidecar and the gateway).
   */
  endpoint(): { url: string; authorization: string } | null;
}
