// The ordered list of schema migrations; a new one is one new file plus one line here.
import type { Migration } from './types.ts';
import { migration as m001 } from './001_init.ts';
import { migration as m002 } from './002_routing.ts';
import { migration as m003 } from './003_library.ts';
import { migration as m004 } from './004_gateway.ts';
import { migration as m005 } from './005_downloads.ts';
import { migration as m006 } from './006_message_meta.ts';
import { migration as m007 } from './007_responses.ts';
import { migration as m008 } from './008_mcp.ts';
import { migration as m009 } from './009_speculative.ts';

export type { Migration } from './types.ts';
export const MIGRATIONS: readonly Migration[] = [
  m001,
  m002,
  m003,
  m004,
  m005,
  m006,
  m007,
  m008,
  m009,
];
