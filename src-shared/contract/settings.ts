// The Settings screen (server address, CORS, model folders, downloads, theme, Hub token), the app
// log viewer and API keys; the UI validates a form with exactly the schemas core checks.
import { z } from 'zod';
import { method } from './common.ts';

/** Ports other local model servers use by default (mirrors config's RESERVED_PORTS; a test keeps them equal). */
export const RESERVED_PORTS = [1234, 8000, 8080, 11434] as const;

const hostLabel = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

export const ServerHost = z
  .string()
  .trim()
  .min(1, 'enter an address')
  .max(253)
  .refine(
    (h) =>
      ipv4.test(h) || h === '::1' || h === '::' || h.split('.').every((l) => hostLabel.test(l)),
    'not an IP address or host name',
  );

export const ServerPort = z
  .number({ error: 'enter a whole number' })
  .int('enter a whole number')
  // 0 asks for any free port at start (what tests and parallel instances use).
  .refine(
    (p) => p === 0 || (p >= 1024 && p <= 65535),
    'use 0 (any free port) or a port from 1024 to 65535',
  )
  .refine(
    (p) => !(RESERVED_PORTS as readonly number[]).includes(p),
    'this port belongs to another model server (1234, 8000, 8080, 11434)',
  );

/** An origin as browsers send it: scheme://host[:port], no path; or `*`. */
export const CorsOrigin = z
  .string()
  .trim()
  .refine(
    (o) => o === '*' || /^https?:\/\/[^/\s?#]+$/i.test(o),
    'an origin looks like http://host:port (no path), or *',
  );

/** An absolute folder path (POSIX or Windows); the server also checks that it exists. */
export const FolderPath = z
  .string()
  .trim()
  .min(1)
  .max(4096)
  .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'use an absolute path');

export const Theme = z.enum(['system', 'light', 'dark']);
export type Theme = z.infer<typeof Theme>;

export const SettingsFields = z
  .object({
    host: ServerHost,
    port: ServerPort,
    requireApiKey: z.boolean(),
    corsOrigins: z.array(CorsOrigin).max(50, 'at most 50 origins'),
    modelsFolders: z.array(FolderPath).max(50, 'at most 50 folders'),
    downloadConcurrency: z
      .number({ error: 'enter a whole number' })
      .int('enter a whole number')
      .min(1, 'from 1 to 8')
      .max(8, 'from 1 to 8'),
    theme: Theme,
  })
  .strict();
export type SettingsFields = z.infer<typeof SettingsFields>;

export const SettingsView = SettingsFields.extend({
  /** The Hub token is write-only: the UI learns only whether one is stored. */
  hfTokenSet: z.boolean(),
  /** Address the API is served on right now (host/port changes apply at the next start). */
  running: z.object({ host: z.string(), port: z.number().nullable() }),
});
export type SettingsView = z.infer<typeof SettingsView>;

export const SettingsPatch = SettingsFields.partial()
  .extend({
    /** A new token (stored encrypted), or null to remove the stored one. */
    hfToken: z
      .string()
      .trim()
      .min(1, 'paste a token or clear it')
      .max(4096)
      .regex(/^\S+$/, 'a token has no spaces')
      .nullable()
      .optional(),
  })
  .strict();
export type SettingsPatch = z.infer<typeof SettingsPatch>;

export const LogLevel = z.enum(['error', 'warn', 'info', 'debug']);
export const LogEntry = z.object({
  time: z.string(),
  level: z.string(),
  component: z.string().nullable(),
  message: z.string(),
  /** Other metadata of the line, as JSON text. */
  meta: z.string().nullable(),
});
export type LogEntry = z.infer<typeof LogEntry>;

export const ApiKeyInfo = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.number(),
  lastUsedAt: z.number().nullable(),
  revokedAt: z.number().nullable(),
});
export const ApiKeyName = z
  .string()
  .trim()
  .min(1, 'give the key a name')
  .max(100, 'at most 100 characters');

export const settingsMethods = {
  'settings.get': method(z.object({}).strict(), SettingsView),
  'settings.set': method(SettingsPatch, SettingsView),
  /** Newest lines of the app's log files, newest last; `level` keeps that level and more severe ones. */
  'logs.tail': method(
    z
      .object({
        level: LogLevel.default('info'),
        component: z.enum(['main', 'sidecar', 'gateway', 'downloads']).optional(),
        limit: z.number().int().min(1).max(2000).default(200),
      })
      .strict(),
    z.array(LogEntry),
  ),
  'apiKeys.list': method(z.object({}).strict(), z.array(ApiKeyInfo)),
  /** The full key comes back once, here; only its salted hash is stored. */
  'apiKeys.create': method(
    z.object({ name: ApiKeyName }).strict(),
    ApiKeyInfo.extend({ key: z.string() }),
  ),
  'apiKeys.revoke': method(z.object({ id: z.string().min(1).max(100) }).strict(), ApiKeyInfo),
} as const;
