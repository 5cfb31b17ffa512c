// The Settings screen's values over the settings table: validated reads and writes, the Hub token kept
// encrypted with the core cipher, and the readers other areas use (the server address, the Hub token).
import fs from 'node:fs';
import type { Config } from '../config/index.ts';
import type { Cipher } from '../db/index.ts';
import { CoreError } from '../errors/index.ts';
import {
  SettingsFields,
  type SettingsPatch,
  type SettingsView,
} from '#shared/contract/settings.ts';
import type { SettingsStore } from './store.ts';

/** Where each field lives in the settings table (gateway and library keys are the ones those areas read). */
export const SETTING_KEYS = {
  host: 'server.host',
  port: 'server.port',
  requireApiKey: 'gateway.requireApiKey',
  corsOrigins: 'gateway.corsOrigins',
  modelsFolders: 'library.extraFolders',
  downloadConcurrency: 'downloads.concurrency',
  theme: 'ui.theme',
} as const satisfies Record<keyof SettingsFields, string>;
export const HF_TOKEN_SETTING = 'hub.tokenCiphertext';

export interface SettingsDeps {
  store: SettingsStore;
  cipher: Cipher;
  defaults: { host: string; port: number };
  running: () => { host: string; port: number | null };
  /** Active gateway API keys; serving beyond loopback needs at least one. */
  activeKeys: () => number;
  isDirectory?: (p: string) => boolean;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export interface SettingsService {
  /** What the Settings screen shows: every field, whether a Hub token is stored, the running address. */
  get(): SettingsView;
  /** Checks the whole patch first and writes nothing unless every field is acceptable. */
  set(patch: SettingsPatch): SettingsView;
  /** Stored values, each re-validated; one a newer or older version wrote in another shape falls back to its default. */
  fields(): SettingsFields;
}

export function settingsService(d: SettingsDeps): SettingsService {
  const defaults: SettingsFields = {
    host: d.defaults.host,
    port: d.defaults.port,
    requireApiKey: false,
    corsOrigins: [],
    modelsFolders: [],
    downloadConcurrency: 2,
    theme: 'system',
  };

  function fields(): SettingsFields {
    const out: Record<string, unknown> = {};
    for (const [field, key] of Object.entries(SETTING_KEYS) as Array<
      [keyof SettingsFields, string]
    >) {
      const raw = d.store.get(key);
      const ok = raw !== undefined && SettingsFields.shape[field].safeParse(raw).success;
      out[field] = ok ? raw : defaults[field];
    }
    return out as SettingsFields;
  }

  function get(): SettingsView {
    return {
      ...fields(),
      hfTokenSet: d.store.get(HF_TOKEN_SETTING) !== undefined,
      running: d.running(),
    };
  }

  function set(patch: SettingsPatch): SettingsView {
    const next = {
      ...fields(),
      ...Object.fromEntries(Object.entries(patch).filter(([k]) => k !== 'hfToken')),
    };
    const parsed = SettingsFields.safeParse(next);
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      throw new CoreError('validation', `${i.path.join('.')}: ${i.message}`);
    }
    const dirCheck = d.isDirectory ?? isDir;
    const missing = (patch.modelsFolders ?? []).find((f) => !dirCheck(f));
    if (missing !== undefined)
      throw new CoreError('validation', `modelsFolders: ${missing} is not a folder`);
    const f = parsed.data;
    // `*` lets any web page call the API: only while every caller must show a key (the setting, or a
    // LAN address, which always requires one). The gateway ignores a stored `*` otherwise.
    if (f.corsOrigins.includes('*') && !f.requireApiKey && LOOPBACK.has(f.host)) {
      throw new CoreError(
        'validation',
        'corsOrigins: `*` (any origin) is allowed only when "require API key" is on; turn it on, or list the origins',
      );
    }
    if (patch.host !== undefined && !LOOPBACK.has(patch.host) && d.activeKeys() === 0) {
      throw new CoreError(
        'validation',
        `host: serving on ${patch.host} exposes the API to the network; create an API key first`,
      );
    }
    for (const field of Object.keys(SETTING_KEYS) as Array<keyof SettingsFields>) {
      if (patch[field] !== undefined) d.store.set(SETTING_KEYS[field], parsed.data[field]);
    }
    if (patch.hfToken === null) d.store.delete(HF_TOKEN_SETTING);
    else if (patch.hfToken !== undefined)
      d.store.set(HF_TOKEN_SETTING, d.cipher.encrypt(patch.hfToken).toString('base64'));
    return get();
  }

  return { get, set, fields };
}

/**
 * The address `serve` and the app listen on: ORCHARD_HOST/ORCHARD_PORT first, then the saved setting
 * (re-validated; an unusable one is ignored), then the default in config (127.0.0.1:8765).
 */
export function serverAddress(
  config: Pick<Config, 'host' | 'port' | 'addressFromEnv'>,
  settings: Pick<SettingsStore, 'get'>,
): { host: string; port: number } {
  const fromEnv = config.addressFromEnv ?? { host: true, port: true };
  const host = SettingsFields.shape.host.safeParse(settings.get(SETTING_KEYS.host));
  const port = SettingsFields.shape.port.safeParse(settings.get(SETTING_KEYS.port));
  return {
    host: !fromEnv.host && host.success ? host.data : (config.host ?? '127.0.0.1'),
    port: !fromEnv.port && port.success ? port.data : config.port,
  };
}

/** The stored Hub token in plaintext, for the Hub client only; null when none is stored. */
export function readHfToken(settings: Pick<SettingsStore, 'get'>, cipher: Cipher): string | null {
  const raw = settings.get(HF_TOKEN_SETTING);
  return typeof raw === 'string' ? cipher.decrypt(Buffer.from(raw, 'base64')) : null;
}
