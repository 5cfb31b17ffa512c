// Runs the engine's tools (pip, uv, python) as child processes and hands their output on line by line.
// A failure is a CoreError that carries the tool's last lines, so the user sees why an install stopped.
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { CoreError } from '../errors/index.ts';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Every line the tool writes (stdout and stderr). */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
}

// eslint-disable-next-line no-control-regex -- the escape character is what is being matched
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/** The tool's output is parsed and shown in the app's log, never on a terminal: no colours. uv reads any
 *  FORCE_COLOR (even "0", which test runners set) as "force colours", so that one is removed. */
function plainEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, NO_COLOR: '1' };
  delete out.FORCE_COLOR;
  delete out.CLICOLOR_FORCE;
  return out;
}

/** Runs `cmd args`; resolves with its stdout, rejects with its last lines when it fails. */
export function runTool(cmd: string, args: string[], o: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: o.cwd,
      env: plainEnv(o.env ?? process.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: o.signal,
    });
    const tail: string[] = [];
    let stdout = '';
    const take = (raw: string): void => {
      const line = raw.replace(ANSI, '');
      tail.push(line);
      if (tail.length > 20) tail.shift();
      o.onLine?.(line);
    };
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    readline.createInterface({ input: child.stderr }).on('line', take);
    child.on('error', (e) =>
      reject(new CoreError('internal', `could not run ${cmd}: ${e.message}`)),
    );
    child.on('close', (code, sig) => {
      if (code === 0) return resolve(stdout);
      for (const l of stdout.split('\n').slice(-10)) if (l.trim()) tail.push(l);
      reject(
        new CoreError(
          'internal',
          `${cmd.split(/[\\/]/).pop()} ${args[0] ?? ''} failed (${sig ?? `exit ${code}`}): ${tail.slice(-8).join(' | ')}`,
        ),
      );
    });
  });
}
