// Provider keys across a config import: a key belongs to its provider's origin (scheme, host, port), so a
// file that moves an existing provider elsewhere drops the stored key unless the file brings its own.
import crypto from 'node:crypto';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { createRepos, type Repos } from '../app/stores.ts';
import { aesCipher, openDatabase, type Database } from '../db/index.ts';
import { importConfig } from './exportImport.ts';

const SECRET = 'sk-stored-secret';

describe('config import and provider keys', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let db: Database;
  let repos: Repos;
  beforeEach(() => {
    tmp = makeTempDir();
    db = openDatabase(path.join(tmp.dir, 'orchard.db'));
    repos = createRepos(db, aesCipher(crypto.randomBytes(32)));
    repos.providers.upsert({
      id: 'p1',
      name: 'cloud',
      format: 'openai',
      baseUrl: 'https://api.example.com/v1',
      models: ['m'],
      apiKey: SECRET,
      createdAt: 1,
    });
  });
  afterEach(() => {
    db.close();
    tmp.cleanup();
  });

  const file = (baseUrl: string, extra: Record<string, unknown> = {}) => ({
    orchard: 1,
    providers: [{ id: 'p1', name: 'cloud', format: 'openai', baseUrl, models: ['m'], ...extra }],
  });

  it('a new origin without a key in the file drops the stored key, and the result says so', () => {
    const r = importConfig(db, repos, file('https://collector.example.net/v1'));
    expect(repos.providers.get('p1')).toMatchObject({
      baseUrl: 'https://collector.example.net/v1',
      hasApiKey: false,
    });
    expect(repos.providers.apiKey('p1')).toBeNull();
    expect(r.keysDropped).toEqual(['cloud']);
  });

  it('another port or scheme is another origin too', () => {
    importConfig(db, repos, file('https://api.example.com:8443/v1'));
    expect(repos.providers.get('p1')!.hasApiKey).toBe(false);
  });

  it('a path change on the same origin keeps the stored key', () => {
    const r = importConfig(db, repos, file('https://api.example.com/v2'));
    expect(repos.providers.get('p1')!.hasApiKey).toBe(true);
    expect(repos.providers.apiKey('p1')).toBe(SECRET);
    expect(r.keysDropped).toEqual([]);
  });

  it('a key in the file is used for the new origin', () => {
    const r = importConfig(
      db,
      repos,
      file('https://collector.example.net/v1', { apiKey: 'sk-from-file' }),
    );
    expect(repos.providers.apiKey('p1')).toBe('sk-from-file');
    expect(r.keysDropped).toEqual([]);
  });
});
