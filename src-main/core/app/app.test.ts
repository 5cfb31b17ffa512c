// startCore end to end without the sidecar: a corrupt database is moved aside, kept, and reported
// to the user through app.status notices and the log.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { startCore } from './index.ts';

describe('startCore', () => {
  it('reports a corrupt database it moved aside', async () => {
    const tmp = makeTempDir();
    const config = loadConfig({ ORCHARD_HOME: tmp.dir, ORCHARD_PORT: '0' });
    fs.writeFileSync(config.dbPath, 'garbage '.repeat(1000));
    const core = await startCore({ config, sidecar: false });
    const r = await core.dispatcher.call('app.status', {});
    await core.stop();
    expect(r.ok).toBe(true);
    const notices = (r as { result: { notices: Array<{ level: string; message: string }> } }).result
      .notices;
    expect(notices).toHaveLength(1);
    expect(notices[0]!.message).toMatch(/moved to .*orchard\.db\.corrupt-/);
    const moved = fs.readdirSync(tmp.dir).filter((f) => f.startsWith('orchard.db.corrupt-'));
    expect(moved).toHaveLength(1);
    expect(fs.readFileSync(path.join(tmp.dir, moved[0]!), 'utf8')).toContain('garbage');
    const log = fs
      .readdirSync(config.logDir)
      .map((f) => fs.readFileSync(path.join(config.logDir, f), 'utf8'))
      .join('');
    expect(log).toContain('corrupt database moved aside');
    expect(log).toContain(moved[0]!);
    tmp.cleanup();
  });
});
