// The packages step's meter over uv 0.13's own lines (recorded from `uv pip install` here, cold and warm
// cache), and the progress line the CLI prints with a percent.
import { describe, expect, it } from 'vitest';
import { formatProgress, packagesMeter } from './progress.ts';

const COLD = [
  'Resolved 12 packages in 672ms',
  'Downloading numpy (16.1MiB)',
  'Downloading pydantic-core (2.2MiB)',
  ' Downloaded pydantic-core',
  ' Downloaded numpy',
  'Prepared 12 packages in 786ms',
  'Installed 12 packages in 36ms',
  ' + annotated-doc==0.0.7',
];

describe('packagesMeter', () => {
  it('counts the announced downloads in bytes and moves the percent a package at a time', () => {
    const meter = packagesMeter();
    const seen = COLD.map((l) => meter(l));
    const mib = 1024 ** 2;
    const total = Math.round(16.1 * mib) + Math.round(2.2 * mib);
    expect(seen[0]).toEqual({ percent: 5, bytes: null });
    expect(seen[2]).toEqual({ percent: 5, bytes: { done: 0, total } });
    expect(seen[3]!.bytes).toEqual({ done: Math.round(2.2 * mib), total });
    expect(seen[3]!.percent).toBeCloseTo(5 + (85 * 2.2) / 18.3, 1);
    expect(seen[4]).toEqual({ percent: 90, bytes: { done: total, total } });
    expect(seen.slice(5).map((m) => m.percent)).toEqual([90, 100, 100]);
  });

  it('with a warm cache (no downloads) goes resolved, prepared, installed', () => {
    const meter = packagesMeter();
    expect(
      [
        'Resolved 70 packages in 3ms',
        'Prepared 70 packages in 1.2s',
        'Installed 70 packages in 900ms',
      ].map((l) => meter(l)),
    ).toEqual([
      { percent: 5, bytes: null },
      { percent: 90, bytes: null },
      { percent: 100, bytes: null },
    ]);
  });
});

describe('formatProgress', () => {
  it('puts the percent before the line when it is known', () => {
    const p = {
      step: 'packages' as const,
      index: 4,
      total: 7,
      state: 'running' as const,
      detail: 'Downloaded numpy',
      percent: 47.4,
      bytes: null,
    };
    expect(formatProgress(p)).toBe('engine [4/7] packages: 47% Downloaded numpy');
    expect(formatProgress({ ...p, detail: null, percent: 0 })).toBe('engine [4/7] packages…');
  });
});
