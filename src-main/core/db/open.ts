// Opens the Orchard database: WAL, foreign keys, integrity check, migrations.
// A corrupt file is moved aside (never deleted), a fresh one is created, and the caller is told.
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { ensurePrivateFile } from '../config/privateFiles.ts';
import { CoreError } from '../errors/index.ts';
import { migrate } from './migrate.ts';

export interface CorruptionEvent {
  path: string;
  movedTo: string;
  reason: string;
}

export interface OpenOptions {
  /** Stop at this schema version (tests of upgrades); default: latest. */
  migrateTo?: number;
  onCorrupt?: (e: CorruptionEvent) => void;
  /**
   * better-sqlite3's compiled addon to load instead of node_modules' own: under Electron in
   * development, node_modules holds the build for Node's ABI (see scripts/native-addon.mjs).
   */
  nativeBinding?: string;
}

function configure(db: Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
}

/** SQLite's verdicts on the file itself; anything else (busy, locked, no permission) is no reason to move it. */
const DAMAGE = /^SQLITE_(CORRUPT|NOTADB)/;

/** null when healthy, else the reason the file cannot be trusted. */
function integrityProblem(file: string, nativeBinding: string | undefined): string | null {
  let db: Database | undefined;
  try {
    db = new BetterSqlite3(file, { fileMustExist: true, nativeBinding });
    const rows = db.pragma('quick_check') as Array<{ quick_check: string }>;
    const bad = rows.map((r) => r.quick_check).filter((s) => s !== 'ok');
    return bad.length ? bad.slice(0, 5).join('; ') : null;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const code = String((e as { code?: unknown })?.code ?? '');
    if (DAMAGE.test(code)) return message;
    // A file that cannot be read now (another process holds it locked, permissions) may be healthy.
    throw new CoreError(
      code === 'SQLITE_BUSY' ? 'conflict' : 'internal',
      `The database ${file} could not be checked (${message}); it was left as it is.`,
    );
  } finally {
    db?.close();
  }
}

function assertAddonLoads(nativeBinding: string | undefined): void {
  try {
    new BetterSqlite3(':memory:', { nativeBinding }).close();
  } catch (e) {
    const reason = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new CoreError(
      'internal',
      `SQLite's native addon${nativeBinding ? ` ${nativeBinding}` : ''} could not be loaded: ${reason}. ` +
        'Under Electron run `node scripts/native-addon.mjs`; under Node run `npm rebuild better-sqlite3`.',
    );
  }
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

function moveAside(file: string): string {
  const movedTo = `${file}.corrupt-${stamp()}`;
  fs.renameSync(file, movedTo);
  // WAL and shared-memory files belong to the corrupt database; keep them beside it.
  for (const suffix of ['-wal', '-shm']) {
    if (fs.existsSync(file + suffix)) fs.renameSync(file + suffix, movedTo + suffix);
  }
  return movedTo;
}

export function openDatabase(file: string, opts: OpenOptions = {}): Database {
  const { nativeBinding } = opts;
  // The addon is loaded first, on its own: an addon that fails to load (built for another ABI, or
  // missing) must not pass for a corrupt file and get the user's database moved aside.
  assertAddonLoads(nativeBinding);
  const onDisk = file !== ':memory:' && file !== '';
  if (onDisk) fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  if (onDisk && fs.existsSync(file)) {
    const problem = integrityProblem(file, nativeBinding);
    if (problem !== null) {
      const movedTo = moveAside(file);
      opts.onCorrupt?.({ path: file, movedTo, reason: problem });
    }
  }
  // SQLite gives its -wal and -shm files the mode of the database file, so 0600 here covers all three.
  if (onDisk) ensurePrivateFile(file);
  const db = new BetterSqlite3(file, { nativeBinding });
  try {
    configure(db);
    migrate(db, { to: opts.migrateTo });
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}
