// Test support: where the crash children live. Tests spawn them by path (a plain node process with tsx,
// so a SIGKILL reaches the real process), and naming the paths here keeps tests free of folder hops.
import path from 'node:path';

/** Commits a row, then waits mid-transaction to be killed (db crash safety). */
export const DB_CRASH_CHILD = path.join(import.meta.dirname, 'dbCrashChild.ts');
/** Records audit rows past one flush, then waits to be killed (audit buffer durability). */
export const AUDIT_CRASH_CHILD = path.join(import.meta.dirname, 'auditCrashChild.ts');
/** Pulls or resumes a download against a Hub test server; killed mid-pull by tests, timed by the bench. */
export const PULL_CHILD = path.join(import.meta.dirname, 'pullChild.ts');
/** Starts the fake sidecar under a supervisor, then waits to be killed so the sidecar is orphaned. */
export const ORPHAN_MAKER = path.join(import.meta.dirname, 'orphanMaker.ts');
