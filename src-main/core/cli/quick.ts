// `orchard run` and `orchard logs` by themselves: they only talk to a running serve, so the process that
// runs them (bin.ts) loads this much of core and no more, and a chat opens without waiting for the rest.
import { loadConfig } from '../config/index.ts';
import { toErrorPayload } from '../errors/index.ts';
import { runChat } from './commands-run.ts';
import { runLogs } from './commands-logs.ts';
import { bufferedStreams, EXIT, type Io } from './io.ts';

export const QUICK_COMMANDS: readonly string[] = ['run', 'logs'];

/** Runs `cmd` (one of QUICK_COMMANDS) with the rest of the arguments; `usage` gives the full usage text. */
export async function runQuick(
  cmd: string,
  rest: string[],
  io: Io,
  env: NodeJS.ProcessEnv,
  usage: () => Promise<string>,
): Promise<number> {
  const json = cmd === 'logs' && rest.includes('--json');
  try {
    const config = loadConfig(env);
    if (cmd === 'logs') return await runLogs(rest, { config, io, json });
    const buffered = io.streams ? null : bufferedStreams(io);
    try {
      return await runChat(rest, {
        config,
        env,
        streams: io.streams ?? buffered!.streams,
        ...(io.onInterrupt ? { onInterrupt: io.onInterrupt } : {}),
      });
    } finally {
      buffered?.flush();
    }
  } catch (e) {
    const p = toErrorPayload(e);
    if (json) io.err(JSON.stringify({ error: p }));
    else io.err(`Error: ${p.message}${p.code === 'usage' ? `\n\n${await usage()}` : ''}`);
    return p.code === 'usage' ? EXIT.usage : EXIT.error;
  }
}
