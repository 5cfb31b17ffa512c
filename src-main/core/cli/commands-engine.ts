// `orchard engine status [--json] | install | repair`: the managed engine from the command line, run in
// this process (no serve needed); install and repair print one progress line per step on stderr.
import type { Config } from '../config/index.ts';
import { CoreError } from '../errors/index.ts';
import { engineFromConfig, formatProgress } from '../engine/index.ts';
import type { EngineStatus } from '#shared/contract/engine.ts';

export const ENGINE_USAGE = `  engine status [--json]        The inference engine: managed or the checkout's .venv, versions, state
  engine install | repair       Install the managed engine (ORCHARD_ENGINE=managed) / install it afresh`;

function describe(s: EngineStatus): string {
  const lines = [`Engine: ${s.mode} · ${s.state}${s.problem ? ` (${s.problem})` : ''}`];
  if (s.expectedVersion) lines.push(`  expected version: ${s.expectedVersion}`);
  if (s.installedVersion) lines.push(`  installed version: ${s.installedVersion}`);
  if (s.python) lines.push(`  python: ${s.python}`);
  if (s.versions) {
    const v = s.versions;
    lines.push(
      `  Python ${v.python} · MLX ${v.mlx} (${v.device}) · mlx-lm ${v.mlxLm} · sidecar ${v.sidecar}`,
    );
  }
  return lines.join('\n');
}

export async function runEngineCommand(
  sub: string | undefined,
  rest: string[],
  o: { config: Config; version: string; json: boolean; out(s: string): void; err(s: string): void },
): Promise<number> {
  if (!sub || rest.length > 0 || !['status', 'install', 'repair'].includes(sub))
    throw new CoreError('usage', 'engine status [--json] | engine install | engine repair');
  const engine = engineFromConfig(o.config, o.version);
  if (sub === 'status') {
    // A checkout's .venv is probed once for its versions (a second or two); a managed engine's are on disk.
    const s = await engine.describe();
    o.out(o.json ? JSON.stringify(s, null, 2) : describe(s));
    return s.state === 'ready' ? 0 : 1;
  }
  engine.events.on('progress', (p) => o.err(formatProgress(p)));
  const s = await (sub === 'install' ? engine.install() : engine.repair());
  o.out(o.json ? JSON.stringify(s, null, 2) : describe(s));
  return s.state === 'ready' ? 0 : 1;
}
