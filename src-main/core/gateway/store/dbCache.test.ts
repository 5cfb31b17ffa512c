// The gateway keeps settings and routing lists in memory between requests; a write by another
// connection (the CLI while `serve` runs) or by its own takes effect on the very next request.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import { createRepos } from '../../app/stores.ts';
import { aesCipher, openDatabase } from '../../db/index.ts';
import { makeTempDir } from '../../../../test-support/tmp.ts';
import {
  NO_SIDECAR,
  startGateway,
  type GatewayServer,
} from '../../../../test-support/gateway/kit.ts';

const chat = { model: 'org/local-a', messages: [{ role: 'user', content: 'hi' }] };

async function post(url: string, body: unknown): Promise<{ status: number; code: string }> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { error: { code: string } };
  return { status: res.status, code: json.error.code };
}

describe('gateway settings and routing between requests', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let gw: GatewayServer;
  beforeEach(async () => {
    tmp = makeTempDir();
    gw = await startGateway({
      dir: tmp.dir,
      local: NO_SIDECAR,
      localModels: () => Promise.resolve(['org/local-a']),
    });
  });
  afterEach(async () => {
    await gw.close();
    tmp.cleanup();
  });

  it('sees a setting changed by another connection, and by its own, on the next request', async () => {
    expect((await post(gw.url, chat)).code).toBe('backend_unreachable');

    const other = openDatabase(gw.dbFile);
    try {
      createRepos(other, aesCipher(crypto.randomBytes(32))).settings.set(
        'gateway.requireApiKey',
        true,
      );
      expect(await post(gw.url, chat)).toEqual({ status: 401, code: 'invalid_api_key' });
    } finally {
      other.close();
    }

    gw.repos.settings.set('gateway.requireApiKey', false);
    expect((await post(gw.url, chat)).code).toBe('backend_unreachable');
  });

  it('routes a name by a rule another connection added, and stops when it is removed', async () => {
    expect(await post(gw.url, { ...chat, model: 'team-model' })).toMatchObject({ status: 404 });

    const other = openDatabase(gw.dbFile);
    const repos = createRepos(other, aesCipher(crypto.randomBytes(32)));
    try {
      repos.routingRules.upsert({
        id: 'r1',
        priority: 10,
        pattern: 'team-*',
        target: { kind: 'local', model: 'org/local-a' },
        fallbacks: [],
        enabled: true,
      });
      // Routed to the local model, whose sidecar is down: the rule was seen.
      expect((await post(gw.url, { ...chat, model: 'team-model' })).code).toBe(
        'backend_unreachable',
      );
      repos.routingRules.delete('r1');
      expect(await post(gw.url, { ...chat, model: 'team-model' })).toMatchObject({ status: 404 });
    } finally {
      other.close();
    }
  });
});
