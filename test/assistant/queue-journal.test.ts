// The transfer queue's journal on its own: what a crash can leave (a torn last line, a compaction's temp
// file) is read back without losing a queued item, and finished items are compacted away.
import assert from 'node:assert/strict';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { QueueJournal } from '../../src/assistant/queue/journal.js';
import type { QueuedTransfer } from '../../src/assistant/queue/index.js';
import { tempDir } from '../helpers/tmp.js';

const item = (n: number): QueuedTransfer => ({ id: `t${n}`, direction: n % 2 ? 'upload' : 'download', key: `SHA256E-s${n}--${'a'.repeat(64)}`, remote: 'cloud', paths: n % 2 ? [] : [`f${n}`], seq: n });

test('a torn last line and a leftover compaction file lose nothing queued', async (t) => {
  const dir = await tempDir(t);
  const { journal } = await QueueJournal.open(dir);
  await journal.put([item(1), item(2), item(3)]);
  await journal.delete('t2');
  await journal.put([{ ...item(3), paths: ['x'] }]);
  await journal.close();
  // kill -9 mid-append, and mid-compaction.
  await appendFile(join(dir, 'queue.jsonl'), '{"op":"put","item":{"id":"t4","dire');
  await writeFile(join(dir, 'queue.jsonl.tmp'), 'half a compaction');
  const reopened = await QueueJournal.open(dir);
  assert.deepEqual(reopened.items, [item(1), { ...item(3), paths: ['x'] }]);
  await reopened.journal.put([item(5)]);
  await reopened.journal.close();
  const again = await QueueJournal.open(dir);
  assert.deepEqual(again.items.map((i) => i.id), ['t1', 't3', 't5'], 'the line after the torn one is read');
  await again.journal.close();
  await assert.rejects(stat(join(dir, 'queue.jsonl.tmp')), { code: 'ENOENT' });
});

test('finished items are compacted away once they outnumber the live ones', async (t) => {
  const dir = await tempDir(t);
  const { journal } = await QueueJournal.open(dir);
  await journal.put([item(0)]);
  for (let n = 1; n <= 1200; n++) {
    await journal.put([item(n)]);
    await journal.delete(`t${n}`);
  }
  await journal.put([item(9999)]);
  await journal.close();
  const lines = (await readFile(join(dir, 'queue.jsonl'), 'utf8')).split('\n').filter(Boolean);
  assert.ok(lines.length < 1100, `${lines.length} lines after 2,402 records`);
  const { journal: reopened, items } = await QueueJournal.open(dir);
  await reopened.close();
  assert.deepEqual(items.map((i) => i.id), ['t0', 't9999']);
});
