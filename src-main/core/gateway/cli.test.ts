// Gateway CLI commands through the real `orchard` entry (run), on a real data folder; and the LAN
// refusal at start-up of the real core.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCore } from '../app/index.ts';
import { run } from '../cli/index.ts';
import { loadConfig } from '../config/index.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { cachedRepoIds } from './cli.ts';

describe('gateway CLI and start-up', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    tmp = makeTempDir();
    env = { ORCHARD_HOME: tmp.dir, HF_HUB_CACHE: `${tmp.dir}/hub`, ORCHARD_PORT: '0' };
  });
  afterEach(() => tmp.cleanup());

  const cli = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run(argv, { out: (s) => out.push(s), err: (s) => err.push(s) }, env);
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('keys create shows the key once; list never shows it; revoke marks it', async () => {
    const created = await cli('keys', 'create', 'editor', '--json');
    expect(created.code).toBe(0);
    const k = JSON.parse(created.out) as { id: string; key: string };
    expect(k.key).toMatch(/^ork_/);
    const list = await cli('keys', 'list');
    expect(list.out).toContain(k.id);
    // The secret is base64url, so it may hold '_' itself: everything after `ork_<id>_`.
    const secret = k.key.slice(`ork_${k.id}_`.length);
    expect(secret).toHaveLength(43);
    expect(list.out).not.toContain(secret);
    expect((await cli('keys', 'revoke', k.id)).code).toBe(0);
    expect((await cli('keys', 'list')).out).toContain('REVOKED');
    expect((await cli('keys', 'revoke', 'nope')).code).toBe(1);
    expect((await cli('keys', 'frobnicate')).code).toBe(2);
  });

  it('route explain says which route a name takes and why', async () => {
    const r = await cli('route', 'explain', 'gpt-4o');
    expect(r.code).toBe(0);
    expect(r.out).toContain("'gpt-4o' is not a local model, alias, profile or routed name");
    const j = JSON.parse((await cli('route', 'explain', 'gpt-4o', '--json')).out) as {
      matched: unknown;
    };
    expect(j.matched).toBeNull();
  });

  it('route explain knows cached models by the HF cache folder rule (cachedRepoIds)', () => {
    const hub = `${tmp.dir}/hub`;
    // Only models--org--name names a repo: Hub ids have an org and never hold `--`.
    for (const [folder, config] of [
      ['models--org--name', true],
      ['models--org--no-config', false],
      ['models--a--b--c', true],
      ['models--gpt2', true],
      ['datasets--org--data', true],
    ] as const) {
      const snap = path.join(hub, folder, 'snapshots', 'c');
      fs.mkdirSync(snap, { recursive: true });
      if (config) fs.writeFileSync(path.join(snap, 'config.json'), '{}');
    }
    expect(cachedRepoIds(hub)).toEqual(['org/name']);
  });

  it('refuses to start a LAN binding without API keys, with a clear error', async () => {
    const config = loadConfig({ ...env, ORCHARD_HOST: '0.0.0.0' });
    await expect(startCore({ config, http: true, sidecar: false })).rejects.toThrow(
      /refusing to serve the API on 0\.0\.0\.0 without an API key/,
    );
  });
});
