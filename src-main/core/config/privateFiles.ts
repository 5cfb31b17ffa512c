// Folders and files that hold the user's data are private to the user from their first byte:
// folders 0700, files 0600, whatever the process umask; older installs are tightened on start.
import fs from 'node:fs';

const PRIVATE_DIR = 0o700;
/** Passed as `mode` where a library creates files itself (fs.createWriteStream options). */
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` (and parents) if needed and makes `dir` itself 0700. */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  if (process.platform !== 'win32') fs.chmodSync(dir, PRIVATE_DIR);
}

/** Creates `file` empty if it is missing, then makes it 0600; its contents are left alone. */
export function ensurePrivateFile(file: string): void {
  fs.closeSync(fs.openSync(file, 'a', PRIVATE_FILE_MODE));
  if (process.platform !== 'win32') fs.chmodSync(file, PRIVATE_FILE_MODE);
}
