// Editing a provider over RPC: a new base URL on another origin (scheme, host, port) drops the stored key
// unless the edit brings a new one, and the answer says the key was dropped.
import crypto from 'node:crypto';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test-support/tmp.ts';
import { createRepos, type Repos } from '../../app/stores.ts';
import { aesCipher, openDatabase, type Database } from '../../db/index.ts';
import { routingService, type RoutingService } from './service.ts';

const SECRET = 'sk-stored-secret';

describe('providers.update and the stored key', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let db: Database;
  let repos: Repos;
  let routing: RoutingService;
  let id: string;
  beforeEach(() => {
    tmp = makeTempDir();
    db = openDatabase(path.join(tmp.dir, 'orchard.db'));
    repos = createRepos(db, aesCipher(crypto.randomBytes(32)));
    routing = routingService(db, repos);
    id = routing.addProvider({
      name: 'cloud',
      format: 'openai',
      baseUrl: 'https://api.example.com/v1',
      apiKey: SECRET,
    }).id;
  });
  afterEach(() => {
    db.close();
    tmp.cleanup();
  });

  it('a base URL on another origin without a new key drops the stored key, and says so', () => {
    const p = routing.updateProvider(id, { baseUrl: 'https://collector.example.net/v1' });
    expect(p).toMatchObject({ hasApiKey: false, keyDropped: true });
    expect(routing.providerKey(id)).toBeNull();
  });

  it('a path change on the same origin, or another field, keeps it', () => {
    expect(routing.updateProvider(id, { baseUrl: 'https://api.example.com/v2' })).toMatchObject({
      hasApiKey: true,
      keyDropped: false,
    });
    expect(routing.updateProvider(id, { models: ['a'] })).toMatchObject({ keyDropped: false });
    expect(routing.providerKey(id)).toBe(SECRET);
  });

  it('a new key with the new origin is stored', () => {
    const p = routing.updateProvider(id, {
      baseUrl: 'http://api.example.com/v1',
      apiKey: 'sk-new',
    });
    expect(p).toMatchObject({ hasApiKey: true, keyDropped: false });
    expect(routing.providerKey(id)).toBe('sk-new');
  });
});
