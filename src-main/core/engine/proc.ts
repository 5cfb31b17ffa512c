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

/** Runs `cmd args`; resolves with its stdout, rejects with its last lines when it fails. */
export function runTool(cmd: string, args: string[], o: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: o.cwd,
      env: o.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: o.signal,
    });
    const tail: string[] = [];
    let stdout = '';
    const take = (line: string): void => {
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
