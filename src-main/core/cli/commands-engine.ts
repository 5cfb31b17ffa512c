// `orchard engine status [--json] | install | repair`: the managed engine from the command line; install
// and repair print one progress line per step on stderr, run by a running serve when there is one.
import type { Config } from '../config/index.ts';
import { CoreError } from '../errors/index.ts';
import { engineFromConfig, formatProgress } from '../engine/index.ts';
import { connectRpc } from '../rpc/index.ts';
import { EngineProgress, EngineStatus } from '#shared/contract/engine.ts';
import { readServeFile, rpcUrl, type ServeInfo } from './serveFile.ts';

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
  const serving = readServeFile(o.config.serveFile);
  let s: EngineStatus;
  if (serving) {
    // The running serve's sidecar lives in the engine folder: that process must do the switch, and
    // it moves its sidecar onto the new engine once verified (a run here would pull the floor away).
    o.err('Orchard is running: the install runs there.');
    s = await runViaServe(serving, sub as 'install' | 'repair', o.err);
  } else {
    engine.events.on('progress', (p) => o.err(formatProgress(p)));
    s = await (sub === 'install' ? engine.install() : engine.repair());
  }
  o.out(o.json ? JSON.stringify(s, null, 2) : describe(s));
  if (s.run?.error) o.err(`${s.run.action} failed: ${s.run.error}`);
  if (s.run?.sidecarRestarted) o.err('The running sidecar moved onto the new engine.');
  return s.state === 'ready' ? 0 : 1;
}

/** engine.install / engine.repair through serve's RPC: its progress events printed, until the run ends. */
async function runViaServe(
  info: ServeInfo,
  action: 'install' | 'repair',
  err: (s: string) => void,
): Promise<EngineStatus> {
  const rpc = await connectRpc(rpcUrl(info));
  try {
    let ended: ((s: EngineStatus) => void) | null = null;
    let startedAt: string | null = null;
    const end = new Promise<EngineStatus>((resolve) => (ended = resolve));
    const finished = (s: EngineStatus): boolean =>
      !!s.run && s.run.startedAt === startedAt && s.run.state !== 'running';
    rpc.onEvent((event, data) => {
      if (event === 'engineProgress') err(formatProgress(EngineProgress.parse(data)));
      if (event === 'engineStatus') {
        const s = EngineStatus.parse(data);
        if (finished(s)) ended!(s);
      }
    });
    const first = await rpc.call(`engine.${action}`);
    // Nothing to do (an install of a ready engine): no run was started.
    if (first.state !== 'installing' || !first.run) return first;
    startedAt = first.run.startedAt;
    // The end event may have come before startedAt was known, or the serve may go away: check too.
    for (;;) {
      const now = await rpc.call('engine.status');
      if (finished(now)) return now;
      let timer: NodeJS.Timeout | undefined;
      const s = await Promise.race([
        end,
        new Promise<null>((r) => (timer = setTimeout(() => r(null), 2000))),
      ]);
      clearTimeout(timer); // else a finished repair keeps the CLI alive for up to 2 s
      if (s) return s;
    }
  } finally {
    rpc.close();
  }
}
