// Test helper process: commits one row, then opens a transaction, writes half of a pair and waits
// to be SIGKILLed, so the parent can check that the half-written pair never becomes visible.
import { conversationsStore } from '../../src-main/core/conversations/index.ts';
import { openDatabase } from '../../src-main/core/db/index.ts';

const file = process.argv[2];
if (!file) throw new Error('usage: dbCrashChild.ts DB');
const db = openDatabase(file);
const conv = conversationsStore(db);
conv.insert({ id: 'committed', title: 'before', profileId: null, createdAt: 1, updatedAt: 1 });
db.exec('BEGIN IMMEDIATE');
conv.insert({ id: 'half', title: 'pair', profileId: null, createdAt: 2, updatedAt: 2 });
conv.addMessage({
  conversationId: 'half',
  role: 'user',
  content: 'first of two',
  reasoning: null,
  createdAt: 2,
});
// Force the dirty pages out to the WAL file before the kill, as a large transaction would.
db.pragma('cache_spill = true');
process.stdout.write('mid-transaction\n');
setInterval(() => {}, 1000);
