// Public surface of the db layer: open + migrate, the migrations, and the at-rest cipher.
// Each area's SQL lives in that area's store; app/stores.ts builds them all over one database.
export type { Database } from 'better-sqlite3';
export { openDatabase, type CorruptionEvent, type OpenOptions } from './open.ts';
export { migrate, schemaVersion } from './migrate.ts';
export { MIGRATIONS, type Migration } from './migrations/index.ts';
export { aesCipher, fileCipher, type Cipher } from './cipher.ts';
