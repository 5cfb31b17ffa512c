// CLI commands of the gateway, registered by the `orchard` command line: API keys and route explain.
// They work on the database directly, so they run with or without a serving instance.
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from '../db/index.ts';
import { CoreError } from '../errors/index.ts';
import { repoCache, repoIdFromFolder } from '../hfcache/index.ts';
import { createBreakers } from './routing/breaker.ts';
import { readSettings, routingService } from './routing/service.ts';
import { apiKeys } from './store/apiKeys.ts';
import type { GatewayRepos } from './store/repos.ts';

export const GATEWAY_USAGE = `  keys create NAME | keys list | keys revoke ID
  route explain MODEL`;

/** Repo ids in a Hugging Face cache folder that have a snapshot with a config.json. */
export function cachedRepoIds(hubCache: string): string[] {
  if (!fs.existsSync(hubCache)) return [];
  const ids: string[] = [];
  for (const folder of fs.readdirSync(hubCache)) {
    const id = repoIdFromFolder(folder);
    if (!id) continue;
    const snaps = path.join(repoCache(hubCache, id).root, 'snapshots');
    if (
      fs.existsSync(snaps) &&
      fs.readdirSync(snaps).some((s) => fs.existsSync(path.join(snaps, s, 'config.json')))
    )
      ids.push(id);
  }
  return ids.sort();
}

export interface GatewayCliContext {
  db: Database;
  repos: GatewayRepos;
  hubCache: string;
  json: boolean;
  out(s: string): void;
}

/** Runs `keys …` or `route …`; returns false when the command is not the gateway's. */
export function runGatewayCommand(cmd: string, rest: string[], ctx: GatewayCliContext): boolean {
  const print = (data: unknown, human: () => string) =>
    ctx.out(ctx.json ? JSON.stringify(data, null, 2) : human());
  if (cmd === 'keys') {
    const keys = apiKeys(ctx.db);
    const [sub, arg] = rest;
    if (sub === 'create' && arg && rest.length === 2) {
      const k = keys.create(arg);
      print(
        k,
        () => `Created API key ${k.id} (${k.name}). It is shown only this once:\n\n  ${k.key}\n`,
      );
      return true;
    }
    if (sub === 'list' && rest.length === 1) {
      const list = keys.list();
      print(list, () =>
        list.length
          ? list
              .map(
                (k) =>
                  `${k.id}  ${k.name}  created ${new Date(k.createdAt).toISOString()}${k.revokedAt ? '  REVOKED' : ''}${k.lastUsedAt ? `  last used ${new Date(k.lastUsedAt).toISOString()}` : ''}`,
              )
              .join('\n')
          : '(no API keys)',
      );
      return true;
    }
    if (sub === 'revoke' && arg && rest.length === 2) {
      keys.revoke(arg);
      print({ revoked: arg }, () => `Revoked ${arg}`);
      return true;
    }
    throw new CoreError('usage', 'keys create NAME | keys list | keys revoke ID');
  }
  if (cmd === 'route') {
    const [sub, name] = rest;
    if (sub !== 'explain' || !name || rest.length !== 2)
      throw new CoreError('usage', 'route explain MODEL');
    const settings = readSettings(ctx.repos);
    const s = routingService(ctx.db, ctx.repos);
    // Circuit state lives in the serving process; here every circuit reads as closed.
    const e = s.explain(name, cachedRepoIds(ctx.hubCache), createBreakers(), settings);
    print(e, () =>
      [
        ...e.steps,
        e.matched === null ? `Available: ${(e.available ?? []).join(', ') || '(none)'}` : '',
        ...e.candidates
          .filter((c) => c.backend)
          .slice(0, 1)
          .map((c) => `→ would go to ${c.label}`),
      ]
        .filter(Boolean)
        .join('\n'),
    );
    return true;
  }
  return false;
}
