// The discovery file `serve` writes (port + token) so other CLI commands can reach it.
import fs from 'node:fs';
import { z } from 'zod';
import { CoreError } from '../errors/index.ts';

const ServeInfo = z.object({
  pid: z.number().int(),
  port: z.number().int(),
  token: z.string().min(1),
});
export type ServeInfo = z.infer<typeof ServeInfo>;

export function writeServeFile(file: string, info: ServeInfo): void {
  fs.writeFileSync(file, JSON.stringify(info), { mode: 0o600 });
}

export function removeServeFile(file: string, pid: number): void {
  if (readServeFile(file)?.pid === pid) fs.rmSync(file, { force: true });
}

/** The running instance, or null when none (a file left by a dead process counts as none). */
export function readServeFile(file: string): ServeInfo | null {
  let info: ServeInfo;
  try {
    info = ServeInfo.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch {
    return null;
  }
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return null;
  }
  return info;
}

/** The running instance, or the error every command that needs one gives. */
export function requireServe(file: string): ServeInfo {
  const info = readServeFile(file);
  if (!info)
    throw new CoreError(
      'sidecar_unavailable',
      'Orchard is not running (start it with `npm run serve`)',
    );
  return info;
}

export const rpcUrl = (info: ServeInfo): string =>
  `ws://127.0.0.1:${info.port}/rpc?token=${encodeURIComponent(info.token)}`;
