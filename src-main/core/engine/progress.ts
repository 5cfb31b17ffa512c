// One progress line of an engine install, as the CLI and `serve` print it, and the meter that turns uv's
// lines in the packages step into a percent and the bytes of its downloads.
import type { EngineProgress } from '#shared/contract/engine.ts';

export function formatProgress(p: EngineProgress): string {
  const head = `engine [${p.index}/${p.total}] ${p.step}`;
  if (p.state === 'failed') return `${head}: failed: ${p.detail ?? ''}`;
  if (p.state === 'done') return `${head}: done${p.detail ? ` (${p.detail})` : ''}`;
  const pct = p.percent === null ? '' : `${Math.round(p.percent)}% `;
  return p.detail ? `${head}: ${pct}${p.detail}` : `${head}…`;
}

const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

export interface Measure {
  percent: number | null;
  bytes: { done: number; total: number } | null;
}

/**
 * Reads `uv pip install`'s lines: "Resolved N packages", then "Downloading name (16.1MiB)" for every
 * large download as it starts and " Downloaded name" as it ends, "Prepared N packages", "Installed N
 * packages". uv prints no byte counts within a file, so bytes move a package at a time; with a warm
 * cache there are no downloads and the percent goes resolved → prepared → installed.
 */
export function packagesMeter(): (line: string) => Measure {
  const sizes = new Map<string, number>();
  let done = 0;
  let percent: number | null = null;
  const bytes = (): Measure['bytes'] => {
    const total = [...sizes.values()].reduce((a, b) => a + b, 0);
    return total ? { done, total } : null;
  };
  return (raw) => {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if (/^Resolved \d+ packages?/.test(line)) percent = 5;
    else if ((m = /^Downloading (\S+) \(([\d.]+)\s*(B|KiB|MiB|GiB)\)/.exec(line))) {
      sizes.set(m[1]!, Math.round(Number(m[2]) * UNITS[m[3]!]!));
      percent = 5 + (85 * done) / (bytes()?.total ?? 1);
    } else if ((m = /^Downloaded (\S+)/.exec(line))) {
      done += sizes.get(m[1]!) ?? 0;
      percent = 5 + (85 * done) / (bytes()?.total ?? 1);
    } else if (/^Prepared \d+ packages?/.test(line)) percent = 90;
    else if (/^Installed \d+ packages?/.test(line)) percent = 100;
    return { percent, bytes: bytes() };
  };
}
