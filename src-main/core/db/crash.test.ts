// A process killed (SIGKILL) between two writes of one transaction leaves the database consistent.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { DB_CRASH_CHILD } from '../../../test-support/crash/index.ts';
import { tsxArgv } from '../../../test-support/tsx.ts';
import { conversationsStore } from '../conversations/index.ts';
import { openDatabase } from './index.ts';

describe('crash mid-transaction', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  it('SIGKILL mid-transaction: committed data kept, half-written pair absent', async () => {
    const file = path.join(tmp.dir, 'orchard.db');
    const [cmd, args] = tsxArgv(DB_CRASH_CHILD, file);
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => {
        if (b.toString().includes('mid-transaction')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, sig) => r(sig)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const db = openDatabase(file);
    expect(db.pragma('quick_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    const conv = conversationsStore(db);
    expect(conv.list().map((c) => c.id)).toEqual(['committed']);
    expect(conv.messages('half')).toEqual([]);
    // The database is writable again: no lock left behind by the dead process.
    conv.insert({ id: 'after', title: 'x', profileId: null, createdAt: 3, updatedAt: 3 });
    expect(conv.list()).toHaveLength(2);
    db.close();
  });
});
