// The logger writes JSON lines with the component name into a rotating file in the log folder.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../test-support/tmp.ts';
import { createLogs } from './index.ts';

describe('logs', () => {
  it('one file, one JSON line per entry, tagged with the component', async () => {
    const tmp = makeTempDir();
    const logs = createLogs({ dir: tmp.dir });
    logs.main.info('hello', { n: 1 });
    logs.sidecar.warn('from python', { stream: 'stderr' });
    await logs.close();
    const files = fs.readdirSync(tmp.dir).filter((f) => f.endsWith('.log'));
    expect(files).toHaveLength(1);
    const lines = fs
      .readFileSync(path.join(tmp.dir, files[0]!), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', message: 'hello', component: 'main', n: 1 }),
      expect.objectContaining({ level: 'warn', message: 'from python', component: 'sidecar' }),
    ]);
    tmp.cleanup();
  });
});
