// CLI commands that work on the database directly: profiles, config export/import, exit codes.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRepos } from '../app/stores.ts';
import { fileCipher, openDatabase } from '../db/index.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { EXIT, run } from './index.ts';

describe('orchard CLI (direct database commands)', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    tmp = makeTempDir();
    env = { ORCHARD_HOME: tmp.dir };
  });
  afterEach(() => tmp.cleanup());

  async function cli(...args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run(args, { out: (s) => out.push(s), err: (s) => err.push(s) }, env);
    return { code, out: out.join('\n'), err: err.join('\n') };
  }
  const writeJson = (name: string, v: unknown): string => {
    const f = path.join(tmp.dir, name);
    fs.writeFileSync(f, JSON.stringify(v));
    return f;
  };

  const GOOD = {
    orchard: 1,
    profiles: [
      {
        name: 'Coder',
        model: 'org/coder',
        params: { temperature: 0, stop: ['END'], keep_loaded: true },
        isDefault: true,
      },
      { name: 'Writer', model: 'org/writer' },
    ],
    providers: [
      {
        id: 'oa',
        name: 'OpenAI',
        format: 'openai',
        baseUrl: 'https://api.openai.com/v1',
        models: ['gpt-4o'],
        apiKey: 'sk-test-123',
      },
    ],
    routingRules: [
      {
        id: 'r1',
        priority: 1,
        pattern: 'gpt-*',
        target: { kind: 'provider', providerId: 'oa', model: 'gpt-4o' },
      },
    ],
  };

  it('imports a config in one go, lists and shows profiles, exports without and with secrets', async () => {
    expect((await cli('config', 'import', writeJson('good.json', GOOD))).code).toBe(EXIT.ok);
    const list = await cli('profiles', 'list', '--json');
    expect(list.code).toBe(EXIT.ok);
    expect(
      JSON.parse(list.out).map((p: { name: string; isDefault: boolean }) => [p.name, p.isDefault]),
    ).toEqual([
      ['Coder', true],
      ['Writer', false],
    ]);
    expect((await cli('profiles', 'list')).out).toContain('* Coder  →  org/coder');
    const show = await cli('profiles', 'show', 'Coder', '--json');
    expect(JSON.parse(show.out)).toMatchObject({ model: 'org/coder', params: { stop: ['END'] } });

    const plain = JSON.parse((await cli('config', 'export')).out);
    expect(plain.providers[0]).not.toHaveProperty('apiKey');
    expect(plain.routingRules[0]).toMatchObject({ pattern: 'gpt-*', fallbacks: [], enabled: true });
    const secret = JSON.parse((await cli('config', 'export', '--with-secrets')).out);
    expect(secret.providers[0].apiKey).toBe('sk-test-123');

    // The key is stored as ciphertext only.
    const db = openDatabase(path.join(tmp.dir, 'orchard.db'));
    const raw = db.prepare('SELECT api_key_ciphertext AS k FROM providers').get() as { k: Buffer };
    expect(raw.k.includes(Buffer.from('sk-test-123'))).toBe(false);
    expect(
      createRepos(db, fileCipher(path.join(tmp.dir, 'secret.key'))).providers.apiKey('oa'),
    ).toBe('sk-test-123');
    db.close();

    // Round trip: re-importing the plain export keeps the stored key.
    const f = path.join(tmp.dir, 'export.json');
    expect((await cli('config', 'export', '--out', f)).code).toBe(EXIT.ok);
    expect((await cli('config', 'import', f)).code).toBe(EXIT.ok);
    expect(JSON.parse((await cli('config', 'export', '--with-secrets')).out)).toEqual(secret);
  });

  it('a bad config file changes nothing and the error names the offending field path', async () => {
    expect((await cli('config', 'import', writeJson('good.json', GOOD))).code).toBe(EXIT.ok);
    const dbFile = path.join(tmp.dir, 'orchard.db');
    const snapshot = () => {
      const db = openDatabase(dbFile);
      const rows = ['profiles', 'providers', 'routing_rules'].map((t) =>
        db.prepare(`SELECT * FROM ${t}`).all(),
      );
      db.close();
      return JSON.stringify(rows);
    };
    const before = snapshot();
    const cases: Array<[unknown, string]> = [
      [
        {
          ...GOOD,
          profiles: [
            { name: 'Coder', model: 'changed' },
            { name: 'Bad', model: 'm', params: { temperature: 'hot' } },
          ],
        },
        'profiles.1.params.temperature',
      ],
      [
        {
          ...GOOD,
          routingRules: [{ ...GOOD.routingRules[0], target: { kind: 'regex', pattern: '.*' } }],
        },
        'routingRules.0.target.kind',
      ],
      [
        { ...GOOD, providers: [{ ...GOOD.providers[0], baseUrl: 'ftp://x' }] },
        'providers.0.baseUrl',
      ],
      [{ ...GOOD, orchard: 2 }, 'orchard'],
      [{ ...GOOD, surprise: true }, '(document)'],
    ];
    for (const [doc, where] of cases) {
      const r = await cli('config', 'import', writeJson('bad.json', doc));
      expect(r.code).toBe(EXIT.error);
      expect(r.err).toContain(where);
    }
    fs.writeFileSync(path.join(tmp.dir, 'broken.json'), '{"orchard": 1, ');
    expect((await cli('config', 'import', path.join(tmp.dir, 'broken.json'))).err).toMatch(
      /cannot read/,
    );
    expect(snapshot()).toBe(before);
  });

  it('exit codes: usage errors are 2, failures 1, --json errors are JSON', async () => {
    expect((await cli()).code).toBe(EXIT.usage);
    expect((await cli('frobnicate')).code).toBe(EXIT.usage);
    expect((await cli('profiles', '--bogus-flag')).code).toBe(EXIT.usage);
    expect((await cli('profiles', 'show')).code).toBe(EXIT.usage);
    expect((await cli('--help')).code).toBe(EXIT.ok);
    const missing = await cli('profiles', 'show', 'Nope', '--json');
    expect(missing.code).toBe(EXIT.error);
    expect(JSON.parse(missing.err)).toEqual({
      error: { code: 'not_found', message: 'no profile named "Nope"' },
    });
    // Commands that need a running instance say so.
    const st = await cli('status');
    expect(st.code).toBe(EXIT.error);
    expect(st.err).toMatch(/not running/);
    env.ORCHARD_PORT = '11434';
    expect((await cli('status')).err).toMatch(/used by other model servers/);
  });
});
