// What a CLI command writes to and reads from: lines out and err, a progress line, Ctrl-C, and for
// `orchard run` the terminal itself. `stdio` is the process's own; tests pass lines-only stand-ins.
import { Writable } from 'node:stream';
import type { RunStreams } from './commands-run.ts';

export interface Io {
  out(s: string): void;
  err(s: string): void;
  progress?(s: string): void;
  onInterrupt?(fn: () => void): () => void;
  /** The terminal itself, for `orchard run` (streamed answers, the interactive chat). */
  streams?: RunStreams;
}

export const EXIT = { ok: 0, error: 1, usage: 2 } as const;

export const stdio: Io = {
  streams: { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
  out: (s) => process.stdout.write(`${s}\n`),
  err: (s) => process.stderr.write(`${s}\n`),
  progress: (s) => {
    if (process.stderr.isTTY) process.stderr.write(`\r${s}`);
  },
  onInterrupt: (fn) => {
    process.once('SIGINT', fn);
    return () => process.off('SIGINT', fn);
  },
};

/** For a caller that gives lines, not a terminal: no input, and the answer handed over when it is whole. */
export function bufferedStreams(io: Io): { streams: RunStreams; flush(): void } {
  const text = { out: '', err: '' };
  const sink = (k: 'out' | 'err') =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        text[k] += chunk.toString();
        cb();
      },
    });
  return {
    streams: { stdin: null, stdout: sink('out'), stderr: sink('err') },
    flush() {
      if (text.out) io.out(text.out.replace(/\n$/, ''));
      if (text.err) io.err(text.err.replace(/\n$/, ''));
    },
  };
}
