// The one logger: winston with daily-rotating files, one child per component.
// Only metadata is logged here; prompt and completion text never reach it.
import fs from 'node:fs';
import path from 'node:path';
import winston from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../config/privateFiles.ts';

export const COMPONENTS = ['main', 'sidecar', 'gateway', 'downloads'] as const;
export type Component = (typeof COMPONENTS)[number];
export type Logger = winston.Logger;

/** What a component needs of a logger: a Logger from here fits, and so does a test's stub. */
export interface LogLike {
  info(msg: string, meta?: object): unknown;
  warn(msg: string, meta?: object): unknown;
  error(msg: string, meta?: object): unknown;
}

export interface Logs {
  root: winston.Logger;
  main: Logger;
  sidecar: Logger;
  gateway: Logger;
  downloads: Logger;
  close(): Promise<void>;
}

export interface LogOptions {
  dir: string;
  level?: string;
  /** Also write warnings and errors to stderr (stdout is reserved for the CLI's output). */
  stderr?: boolean;
}

export function createLogs(opts: LogOptions): Logs {
  ensurePrivateDir(opts.dir);
  for (const name of fs.readdirSync(opts.dir)) {
    if (name.endsWith('.log')) fs.chmodSync(path.join(opts.dir, name), PRIVATE_FILE_MODE);
  }
  const file = new DailyRotateFile({
    dirname: opts.dir,
    options: { flags: 'a', mode: PRIVATE_FILE_MODE },
    filename: 'orchard-%DATE%.log',
    datePattern: 'YYYY-MM-DD',
    maxSize: '20m',
    maxFiles: '14d',
  });
  const transports: winston.transport[] = [file];
  if (opts.stderr) {
    transports.push(
      new winston.transports.Console({
        level: 'warn',
        stderrLevels: ['error', 'warn', 'info', 'debug'],
        format: winston.format.combine(
          winston.format.timestamp(),
          winston.format.printf(
            (i) =>
              `${String(i.timestamp)} ${i.level} [${String(i.component)}] ${String(i.message)}`,
          ),
        ),
      }),
    );
  }
  const root = winston.createLogger({
    level: opts.level ?? 'info',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports,
  });
  const child = (component: Component): Logger => root.child({ component });
  return {
    root,
    main: child('main'),
    sidecar: child('sidecar'),
    gateway: child('gateway'),
    downloads: child('downloads'),
    // Ends the file stream and waits until its last line is on disk (a plain logger.end() resolves
    // before the rotating stream has written it).
    close: () =>
      new Promise<void>((resolve) => {
        const stream = (file as unknown as { logStream?: { end(cb: () => void): void } }).logStream;
        if (!stream) return resolve();
        stream.end(() => resolve());
        setTimeout(resolve, 2000).unref();
      }),
  };
}
