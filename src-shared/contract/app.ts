// The app as a whole: version and data folder, the inference sidecar's state and restart, and
// notices the user must see (things that happened before any client connected).
import { z } from 'zod';
import { Empty, method } from './common.ts';

export const SidecarStatus = z.object({
  state: z.enum(['idle', 'starting', 'ready', 'restarting', 'crashed', 'stopped']),
  pid: z.number().nullable(),
  port: z.number().nullable(),
  recentCrashes: z.number(),
  inFlight: z.number(),
  lastError: z.string().nullable(),
  stderrTail: z.array(z.string()),
});
export type SidecarStatus = z.infer<typeof SidecarStatus>;

const Notice = z.object({ level: z.enum(['info', 'warning', 'error']), message: z.string() });

export const appMethods = {
  'app.status': method(
    Empty,
    z.object({
      version: z.string(),
      dataDir: z.string(),
      apiBaseUrl: z.string().nullable(),
      sidecar: SidecarStatus,
      /** Things the user must be told that happened before any client connected (e.g. a corrupt database). */
      notices: z.array(Notice),
    }),
  ),
  'sidecar.status': method(Empty, SidecarStatus),
  /** Starts the sidecar again after it ended up `crashed` or `stopped`. */
  'sidecar.restart': method(Empty, SidecarStatus),
} as const;

export const appEvents = {
  sidecarState: SidecarStatus,
  /** Something the user must be told (e.g. a corrupt database was moved aside). */
  notice: Notice,
} as const;
