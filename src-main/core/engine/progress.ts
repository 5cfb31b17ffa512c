// One progress line of an engine install, as the CLI and `serve` print it.
import type { EngineProgress } from '#shared/contract/engine.ts';

export function formatProgress(p: EngineProgress): string {
  const head = `engine [${p.index}/${p.total}] ${p.step}`;
  if (p.state === 'failed') return `${head}: failed: ${p.detail ?? ''}`;
  if (p.state === 'done') return `${head}: done${p.detail ? ` (${p.detail})` : ''}`;
  return p.detail ? `${head}: ${p.detail}` : `${head}…`;
}
