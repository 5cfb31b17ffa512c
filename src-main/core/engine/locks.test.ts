// The engine's hash-locked requirements follow the sidecar's pyproject.toml: every pin there is the pin
// in each platform's lock, every locked package carries hashes, and each platform has its MLX backend.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../config/index.ts';
import { LOCKS_DIR, lockName } from './index.ts';

function lockPins(file: string): Map<string, { version: string; hashes: number }> {
  const pins = new Map<string, { version: string; hashes: number }>();
  let last: { version: string; hashes: number } | null = null;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Za-z0-9_.-]+)==([^\s\\;]+)/.exec(line);
    if (m) {
      last = { version: m[2]!, hashes: 0 };
      pins.set(m[1]!.toLowerCase().replaceAll('_', '-'), last);
    } else if (line.includes('--hash=sha256:') && last) last.hashes++;
  }
  return pins;
}

const pyproject = fs.readFileSync(
  path.join(REPO_ROOT, 'inference-sidecar', 'pyproject.toml'),
  'utf8',
);
const deps = /dependencies = \[([\s\S]*?)\n\]/.exec(pyproject)![1]!;
const pinned = [...deps.matchAll(/"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^";\s]+)[^"]*"/g)].map(
  (m) => [m[1]!.toLowerCase(), m[2]!] as const,
);

describe.each(['linux', 'darwin'] as const)('the %s lock', (platform) => {
  const pins = lockPins(path.join(LOCKS_DIR, lockName(platform)));

  it('pins what pyproject.toml pins (regenerate with node scripts/engine-lock.mjs)', () => {
    expect(pinned.length).toBeGreaterThan(5);
    for (const [name, version] of pinned) expect(pins.get(name)?.version, name).toBe(version);
  });

  it('has hashes for every package and the platform MLX backend', () => {
    expect(pins.size).toBeGreaterThan(20);
    for (const [name, p] of pins) expect(p.hashes, name).toBeGreaterThan(0);
    expect(pins.has(platform === 'darwin' ? 'mlx-metal' : 'mlx-cpu')).toBe(true);
    expect(pins.has(platform === 'darwin' ? 'mlx-cpu' : 'mlx-metal')).toBe(false);
  });
});
