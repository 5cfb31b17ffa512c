// The portable config file: profiles, routing rules and providers exported as one JSON document, and
// imported back after the whole file is validated, in one transaction: a bad file changes nothing.
import crypto from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { ConfigFile } from '#shared/contract/configFile.ts';
import { CoreError } from '../errors/index.ts';
import type { ProvidersStore, RoutingRulesStore } from '../gateway/index.ts';
import type { ProfilesStore } from '../profiles/index.ts';

/** The stores a config file reads from and writes to. */
export interface ConfigFileStores {
  profiles: ProfilesStore;
  providers: ProvidersStore;
  routingRules: RoutingRulesStore;
}

export function exportConfig(
  repos: ConfigFileStores,
  opts: { withSecrets?: boolean } = {},
): ConfigFile {
  return {
    orchard: 1,
    profiles: repos.profiles.list().map((p) => ({
      name: p.name,
      model: p.model,
      params: p.params,
      isDefault: p.isDefault,
    })) as ConfigFile['profiles'],
    routingRules: repos.routingRules.list() as ConfigFile['routingRules'],
    providers: repos.providers.list().map((p) => ({
      id: p.id,
      name: p.name,
      format: p.format,
      baseUrl: p.baseUrl,
      models: p.models,
      ...(opts.withSecrets ? { apiKey: repos.providers.apiKey(p.id) } : {}),
    })),
  };
}

/** Parses a config document; the error names the first offending field path. */
export function parseConfig(raw: unknown): ConfigFile {
  const r = ConfigFile.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const where = issue.path.map(String).join('.') || '(document)';
  throw new CoreError('validation', `invalid config at ${where}: ${issue.message}`, r.error.issues);
}

export function importConfig(
  db: Database,
  repos: ConfigFileStores,
  raw: unknown,
  now: () => number = Date.now,
): { profiles: number; routingRules: number; providers: number; keysDropped: string[] } {
  const cfg = parseConfig(raw);
  const defaults = cfg.profiles.filter((p) => p.isDefault);
  if (defaults.length > 1) {
    throw new CoreError(
      'validation',
      `invalid config at profiles: more than one profile has isDefault`,
    );
  }
  const keysDropped: string[] = [];
  const apply = db.transaction(() => {
    const t = now();
    for (const p of cfg.profiles) {
      const cur = repos.profiles.getByName(p.name);
      if (cur)
        repos.profiles.update({
          id: cur.id,
          name: p.name,
          model: p.model,
          params: p.params,
          updatedAt: t,
        });
      else
        repos.profiles.insert({
          id: crypto.randomUUID(),
          name: p.name,
          model: p.model,
          params: p.params,
          isDefault: false,
          createdAt: t,
          updatedAt: t,
        });
      if (p.isDefault) repos.profiles.setDefault(repos.profiles.getByName(p.name)!.id);
    }
    if (!repos.profiles.getDefault()) {
      const first = repos.profiles.list()[0];
      if (first) repos.profiles.setDefault(first.id);
    }
    for (const p of cfg.providers) {
      const cur = repos.providers.get(p.id);
      // No key in the file keeps the stored one, unless the file moves the provider to another
      // origin (a shared file must not be able to send the key elsewhere); an explicit null removes it.
      let apiKey = p.apiKey ?? null;
      if (p.apiKey === undefined) {
        const carried = repos.providers.carriedKey(p.id, p.baseUrl);
        apiKey = carried.apiKey;
        if (carried.dropped) keysDropped.push(p.name);
      }
      repos.providers.upsert({ ...p, apiKey, createdAt: cur?.createdAt ?? t });
    }
    for (const r of cfg.routingRules) repos.routingRules.upsert(r);
  });
  try {
    apply();
  } catch (e) {
    if (e instanceof CoreError) throw e;
    throw new CoreError('conflict', `config not applied: ${(e as Error).message}`);
  }
  return {
    profiles: cfg.profiles.length,
    routingRules: cfg.routingRules.length,
    providers: cfg.providers.length,
    keysDropped,
  };
}
