// Every area's store, as the composition root builds them, against a real SQLite file: round trips,
// constraints and cascades.
import crypto from 'node:crypto';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { aesCipher, openDatabase, type Database } from '../db/index.ts';
import { createRepos, type Repos } from './stores.ts';

describe('stores', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let db: Database;
  let repos: Repos;
  beforeEach(() => {
    tmp = makeTempDir();
    db = openDatabase(path.join(tmp.dir, 'orchard.db'));
    repos = createRepos(db, aesCipher(crypto.randomBytes(32)));
  });
  afterEach(() => {
    db.close();
    tmp.cleanup();
  });

  const profile = (id: string, name: string) => ({
    id,
    name,
    model: 'org/model',
    params: { temperature: 0.2, stop: ['x'] },
    isDefault: false,
    createdAt: 1,
    updatedAt: 1,
  });

  it('profiles: insert, read, update, default, delete', () => {
    const p = repos.profiles;
    p.insert(profile('a', 'Alpha'));
    p.insert(profile('b', 'Beta'));
    expect(p.list().map((r) => r.name)).toEqual(['Alpha', 'Beta']);
    expect(p.get('a')?.params).toEqual({ temperature: 0.2, stop: ['x'] });
    expect(p.getByName('Beta')?.id).toBe('b');
    expect(() => p.insert(profile('c', 'Alpha'))).toThrow(/UNIQUE/);
    expect(p.update({ id: 'a', name: 'Alpha2', model: 'm2', params: {}, updatedAt: 5 })).toBe(true);
    expect(p.get('a')).toMatchObject({ name: 'Alpha2', model: 'm2', params: {}, updatedAt: 5 });
    expect(p.setDefault('a')).toBe(true);
    expect(p.setDefault('b')).toBe(true);
    expect(p.getDefault()?.id).toBe('b');
    expect(p.list().filter((r) => r.isDefault)).toHaveLength(1);
    expect(p.delete('b')).toBe(true);
    expect(p.delete('b')).toBe(false);
    expect(p.getDefault()).toBeUndefined();
  });

  it('settings: set, overwrite, read all, delete', () => {
    const s = repos.settings;
    expect(s.get('memory.limit')).toBeUndefined();
    s.set('memory.limit', { percent: 50 });
    s.set('memory.limit', { gb: 8 });
    s.set('theme', 'dark');
    expect(s.get('memory.limit')).toEqual({ gb: 8 });
    expect(s.all()).toEqual({ 'memory.limit': { gb: 8 }, theme: 'dark' });
    expect(s.delete('theme')).toBe(true);
    expect(s.all()).toEqual({ 'memory.limit': { gb: 8 } });
  });

  it('conversations: messages in order, cascade on delete, profile set null', () => {
    repos.profiles.insert(profile('p', 'P'));
    const c = repos.conversations;
    c.insert({ id: 'c1', title: 'Hello', profileId: 'p', createdAt: 1, updatedAt: 1 });
    c.addMessage({
      conversationId: 'c1',
      role: 'user',
      content: 'hi',
      reasoning: null,
      createdAt: 2,
    });
    c.addMessage({
      conversationId: 'c1',
      role: 'assistant',
      content: 'yo',
      reasoning: 'think',
      createdAt: 3,
    });
    expect(c.messages('c1').map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(c.get('c1')?.updatedAt).toBe(3);
    expect(() =>
      c.addMessage({
        conversationId: 'nope',
        role: 'user',
        content: '',
        reasoning: null,
        createdAt: 1,
      }),
    ).toThrow(/FOREIGN KEY/);
    expect(() =>
      c.addMessage({
        conversationId: 'c1',
        role: 'bogus' as 'user',
        content: '',
        reasoning: null,
        createdAt: 1,
      }),
    ).toThrow(/CHECK/);
    expect(c.rename('c1', 'Renamed', 9)).toBe(true);
    repos.profiles.delete('p');
    expect(c.get('c1')).toMatchObject({ title: 'Renamed', profileId: null });
    expect(c.list()).toHaveLength(1);
    c.delete('c1');
    expect(db.prepare('SELECT count(*) AS n FROM messages').get()).toEqual({ n: 0 });
  });

  it('providers: the key column holds ciphertext only and decrypts on request', () => {
    const pr = repos.providers;
    pr.upsert({
      id: 'oa',
      name: 'OpenAI',
      format: 'openai',
      baseUrl: 'https://api.openai.com/v1',
      models: ['gpt-4o'],
      apiKey: 'sk-secret-123',
      createdAt: 1,
    });
    pr.upsert({
      id: 'nokey',
      name: 'Local',
      format: 'anthropic',
      baseUrl: 'http://127.0.0.1:9',
      models: [],
      apiKey: null,
      createdAt: 1,
    });
    const raw = db
      .prepare('SELECT api_key_ciphertext AS k FROM providers WHERE id = ?')
      .get('oa') as { k: Buffer };
    expect(Buffer.isBuffer(raw.k)).toBe(true);
    expect(raw.k.toString('latin1')).not.toContain('sk-secret-123');
    expect(pr.apiKey('oa')).toBe('sk-secret-123');
    expect(pr.apiKey('nokey')).toBeNull();
    expect(pr.get('oa')).toMatchObject({ hasApiKey: true, format: 'openai', models: ['gpt-4o'] });
    expect(pr.list().map((p) => p.id)).toEqual(['nokey', 'oa']);
    // A different install key cannot read it.
    const other = createRepos(db, aesCipher(crypto.randomBytes(32)));
    expect(() => other.providers.apiKey('oa')).toThrow(/cannot be decrypted/);
    expect(() =>
      pr.upsert({
        id: 'x',
        name: 'X',
        format: 'weird' as 'openai',
        baseUrl: '',
        models: [],
        apiKey: null,
        createdAt: 1,
      }),
    ).toThrow(/CHECK/);
  });

  it('routing rules: ordered by priority, JSON target and fallbacks round-trip', () => {
    const r = repos.routingRules;
    r.upsert({
      id: 'r2',
      priority: 2,
      pattern: '*',
      target: { kind: 'local', model: 'org/m' },
      fallbacks: [],
      enabled: true,
    });
    r.upsert({
      id: 'r1',
      priority: 1,
      pattern: 'gpt-*',
      target: { kind: 'provider', providerId: 'oa', model: 'gpt-4o' },
      fallbacks: [{ kind: 'profile', profile: 'coder' }],
      enabled: false,
    });
    expect(r.list().map((x) => [x.id, x.enabled])).toEqual([
      ['r1', false],
      ['r2', true],
    ]);
    expect(r.list()[0]).toMatchObject({
      target: { kind: 'provider', model: 'gpt-4o' },
      fallbacks: [{ profile: 'coder' }],
    });
    r.upsert({
      id: 'r1',
      priority: 5,
      pattern: 'gpt-*',
      target: { kind: 'local', model: 'x' },
      fallbacks: [],
      enabled: true,
    });
    expect(r.list().map((x) => x.id)).toEqual(['r2', 'r1']);
    expect(r.delete('r2')).toBe(true);
    r.clear();
    expect(r.list()).toEqual([]);
  });

  it('downloads: status, progress, files, cascade', () => {
    const d = repos.downloads;
    const file = { sha256: null, status: 'pending' as const, doneBytes: 0 };
    d.create(
      {
        id: 'd1',
        repoId: 'org/m',
        revision: 'main',
        status: 'queued',
        totalBytes: null,
        doneBytes: 0,
        error: null,
        createdAt: 1,
        updatedAt: 1,
      },
      'c0ffee',
      [
        { ...file, path: 'config.json', size: 10, gitOid: 'g1', blob: 'g1' },
        { ...file, path: 'a.safetensors', size: 99, sha256: 'ab', gitOid: 'g2', blob: 'ab' },
      ],
    );
    const [a, c] = d.files('d1');
    d.saveFile('d1', { ...c!, status: 'done', doneBytes: 10 });
    d.checkpoint('d1', [{ ...a!, status: 'running', doneBytes: 5, ranges: [[0, 99, 5]] }], 15, 109);
    expect(d.files('d1').map((f) => [f.path, f.status, f.ranges])).toEqual([
      ['a.safetensors', 'running', [[0, 99, 5]]],
      ['config.json', 'done', null],
    ]);
    expect(d.setStatus('d1', 'failed', 'HTTP 403')).toBe(true);
    expect(d.get('d1')).toMatchObject({
      status: 'failed',
      error: 'HTTP 403',
      doneBytes: 15,
      totalBytes: 109,
      commitSha: 'c0ffee',
    });
    expect(() => d.setStatus('d1', 'exploded' as 'done', null)).toThrow(/CHECK/);
    expect(d.list()).toHaveLength(1);
    expect(d.findReusable('org/m', 'main')).toBe('d1');
    expect(d.busyRepo('org/m')).toBe(false);
    db.prepare('DELETE FROM downloads WHERE id = ?').run('d1');
    expect(d.files('d1')).toEqual([]);
  });

  it('models: upsert keeps added_at, touch, delete', () => {
    const m = repos.models;
    m.upsert({
      repoId: 'org/m',
      revision: 'abc',
      path: '/p',
      sizeBytes: 5,
      format: 'mlx',
      addedAt: 1,
      lastUsedAt: null,
    });
    m.upsert({
      repoId: 'org/m',
      revision: 'def',
      path: '/p2',
      sizeBytes: 6,
      format: 'mlx',
      addedAt: 99,
      lastUsedAt: null,
    });
    expect(m.get('org/m')).toMatchObject({ revision: 'def', path: '/p2', addedAt: 1 });
    expect(m.touch('org/m', 7)).toBe(true);
    expect(m.list()[0]?.lastUsedAt).toBe(7);
    expect(m.delete('org/m')).toBe(true);
    expect(m.list()).toEqual([]);
  });
});
