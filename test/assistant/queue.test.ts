// The assistant's transfer queue over a real repository and a real chunked, encrypted directory special
// remote: uploads and downloads with their events, deduplication, retries with backoff while the store is
// gone, kill -9 mid-upload and a resume in a new process, a download that fills in the pointer file as
// ferry's own write, and annex.diskreserve holding a download back without failing it.
import assert from 'node:assert/strict';
import { lstat, readFile, readdir, rename } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { backoffDelay } from '../../src/assistant/queue/index.js';
import type { AssistantEvent } from '../../src/assistant/index.js';
import { bytes } from '../helpers/repo.js';
import { ferry, git, jsonLines, start } from '../helpers/run.js';
import { useTestEnv } from '../helpers/env.js';
import { tempDir } from '../helpers/tmp.js';
import { readTrace } from '../helpers/trace.js';
import { CHUNK, cloudRepo, eventsOf, openQueue, waitForEvent } from './queue-fixture.js';

useTestEnv();
const child = fileURLToPath(new URL('./queue-child.js', import.meta.url));

const stamp = async (abs: string) => {
  const st = await lstat(abs);
  return { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
};

async function whereis(repo: string, path: string): Promise<string[]> {
  const [r] = jsonLines((await ferry(repo, ['whereis', '--json', path], { expect: [] })).stdout);
  return ((r?.whereis ?? []) as { description: string }[]).map((w) => w.description);
}

test('backoff doubles per failure up to its cap, and never waits less than half of it', () => {
  const opts = { baseMs: 100, maxMs: 1000 };
  for (const [failures, cap] of [[1, 100], [2, 200], [3, 400], [4, 800], [5, 1000], [60, 1000]] as const) {
    assert.equal(backoffDelay(failures, opts, () => 0), cap / 2, `failure ${failures}, lowest draw`);
    assert.equal(backoffDelay(failures, opts, () => 0.999999), cap, `failure ${failures}, highest draw`);
  }
});

test('an upload and a download through the queue, with queued, progress and done events; the download fills in the pointer file as ferry\'s own write', async (t) => {
  const content = bytes(11, CHUNK * 5 + 123);
  const { repo, keys } = await cloudRepo(t, { 'dir/big.bin': content });
  const key = keys['dir/big.bin']!;
  const q = await openQueue(repo);
  t.after(() => q.close());
  q.queue.start();

  const [up] = await q.queue.enqueue([{ direction: 'upload', key, remote: 'cloud' }]);
  const upDone = await waitForEvent(q, 'transfer-done', (e) => e.transfer === up);
  assert.equal(upDone.ok, true, JSON.stringify(upDone));
  const upEvents = eventsOf(q, up!);
  assert.deepEqual(upEvents[0], { ...upEvents[0], type: 'transfer-queued', direction: 'upload', key, remote: 'cloud', path: undefined });
  const upProgress = upEvents.filter((e) => e.type === 'transfer-progress');
  assert.ok(upProgress.length >= 1, 'progress published');
  assert.deepEqual(upProgress.at(-1), { ...upProgress.at(-1), bytes: content.length, size: content.length });
  assert.equal(upEvents.at(-1)?.type, 'transfer-done');
  assert.ok((await whereis(repo, 'dir/big.bin')).includes('[cloud]'), 'the location log says the cloud has it');
  await ferry(repo, ['fsck', '--from', 'cloud', 'dir/big.bin']);

  // Dropped here, the unlocked file is a pointer file again; the queue brings the content back.
  await ferry(repo, ['drop', 'dir/big.bin']);
  const abs = join(repo, 'dir/big.bin');
  const pointer = await lstat(abs);
  assert.ok(pointer.size < 1000, 'a pointer file');
  const [down] = await q.queue.enqueue([{ direction: 'download', key, remote: 'cloud', paths: ['dir/big.bin'] }]);
  const downDone = await waitForEvent(q, 'transfer-done', (e) => e.transfer === down);
  assert.equal(downDone.ok, true, JSON.stringify(downDone));
  assert.equal(eventsOf(q, down!)[0]?.type, 'transfer-queued');
  assert.ok((await readFile(abs)).equals(content));
  const filled = await lstat(abs);
  // Replaced in one rename (a new inode), never written in place over the pointer.
  assert.notEqual(filled.ino, pointer.ino, 'a new file renamed over the pointer');
  assert.equal(filled.mode & 0o777, pointer.mode & 0o777);
  assert.deepEqual(await readdir(join(repo, 'dir')), ['big.bin'], 'no temp file left beside it');
  assert.equal(q.selfWrites.isOwn('dir/big.bin', await stamp(abs)), true, 'the watcher takes the fill for ferry\'s own');
  assert.equal((await git(repo, ['status', '--porcelain'])).stdout, '', 'the index agrees');
  assert.deepEqual(q.queue.list(), []);
  await ferry(repo, ['fsck', 'dir/big.bin']);
});

test('the same transfer asked for twice is one item, with one queued and one done event', async (t) => {
  const { repo, keys } = await cloudRepo(t, { 'a.bin': bytes(1, 5000), 'b.bin': bytes(2, 7000) });
  const q = await openQueue(repo);
  t.after(() => q.close());
  const ids = await q.queue.enqueue([
    { direction: 'upload', key: keys['a.bin']!, remote: 'cloud' },
    { direction: 'upload', key: keys['a.bin']!, remote: 'cloud' },
    { direction: 'upload', key: keys['b.bin']!, remote: 'cloud' },
  ]);
  const [again] = await q.queue.enqueue([{ direction: 'upload', key: keys['a.bin']!, remote: 'cloud' }]);
  assert.equal(ids[0], ids[1]);
  assert.equal(again, ids[0]);
  assert.notEqual(ids[2], ids[0]);
  assert.equal(q.queue.list().length, 2);
  // A download of the same key is another transfer.
  const [down] = await q.queue.enqueue([{ direction: 'download', key: keys['a.bin']!, remote: 'cloud', paths: ['a.bin'] }]);
  assert.notEqual(down, ids[0]);
  assert.deepEqual(q.queue.list().map((s) => s.direction), ['download', 'upload', 'upload'], 'downloads run first');
  assert.equal(await q.queue.cancel(down!), true);
  q.queue.start();
  await q.queue.idle();
  const a = eventsOf(q, ids[0]!);
  assert.deepEqual(a.map((e) => e.type).filter((x) => x !== 'transfer-progress'), ['transfer-queued', 'transfer-done']);
  assert.deepEqual(eventsOf(q, down!).map((e) => e.type), ['transfer-done'], 'the cancelled one is reported, never run');
  assert.equal(eventsOf(q, ids[2]!).at(-1)?.type, 'transfer-done');
  for (const path of ['a.bin', 'b.bin']) assert.ok((await whereis(repo, path)).includes('[cloud]'), path);
});

test('a store that fails is retried with growing waits, and the transfer completes once it is back', async (t) => {
  const { repo, store, keys } = await cloudRepo(t, { 'f.bin': bytes(3, CHUNK * 2 + 5) });
  const backoff = { baseMs: 100, maxMs: 5000 };
  const q = await openQueue(repo, { backoff });
  t.after(() => q.close());
  // The drive is "unmounted": the directory remote's path is gone (works as root, unlike a chmod).
  const away = `${store}.away`;
  await rename(store, away);
  q.queue.start();
  const [id] = await q.queue.enqueue([{ direction: 'upload', key: keys['f.bin']!, remote: 'cloud' }]);
  const failures: Extract<AssistantEvent, { type: 'transfer-done' }>[] = [];
  for (let attempt = 1; attempt <= 3; attempt++) {
    failures.push(await waitForEvent(q, 'transfer-done', (e) => e.transfer === id && e.attempt === attempt));
  }
  for (const [i, f] of failures.entries()) {
    assert.equal(f.ok, false);
    assert.match(f.error ?? '', /does not exist|mounted/);
    const cap = backoff.baseMs * 2 ** i;
    assert.ok(f.retryInMs !== undefined && f.retryInMs >= cap / 2 && f.retryInMs <= cap, `attempt ${i + 1} waits ${f.retryInMs} in [${cap / 2}, ${cap}]`);
  }
  assert.equal(q.queue.list()[0]?.failures, 3);
  await rename(away, store);
  const done = await waitForEvent(q, 'transfer-done', (e) => e.transfer === id && e.ok);
  assert.ok(done.attempt >= 4);
  assert.ok((await whereis(repo, 'f.bin')).includes('[cloud]'));
  await ferry(repo, ['fsck', '--from', 'cloud', 'f.bin']);
});

test('kill -9 mid-upload: a new process resumes the persisted queue and sends less than 2 chunks again', async (t) => {
  const CHUNKS = 10;
  const content = bytes(77, CHUNK * CHUNKS - 1000);
  const { repo, store, keys } = await cloudRepo(t, { 'big.bin': content });
  const key = keys['big.bin']!;
  const killed = await start(repo, process.execPath, [child, repo, 'upload', key, 'cloud'], { env: { FERRY_TEST_CRASH: 'piece-stored:4' }, expect: [] }).done;
  assert.equal(killed.code, 128, `killed by its checkpoint: ${killed.stderr}`);
  const queued = jsonLines(killed.stdout).find((e) => e.type === 'transfer-queued');
  assert.ok(queued, 'queued before the kill');
  assert.equal(jsonLines(killed.stdout).some((e) => e.type === 'transfer-done'), false);
  assert.equal((await whereis(repo, 'big.bin')).includes('[cloud]'), false, 'not logged while half stored');
  const stored = await storedChunks(store);
  assert.ok(stored >= 4 && stored < CHUNKS, `${stored} chunks stored before the kill`);

  // The new process is not told what to do: the queue on disk is its only source.
  const trace = join(await tempDir(t), 'resume.trace');
  const resumed = await start(repo, process.execPath, [child, repo], { env: { FERRY_TEST_TRACE: trace } }).done;
  const events = jsonLines(resumed.stdout);
  assert.deepEqual(events.filter((e) => e.type === 'transfer-queued').map((e) => e.transfer), [queued.transfer]);
  const done = events.find((e) => e.type === 'transfer-done');
  assert.deepEqual(done, { ...done, transfer: queued.transfer, ok: true, attempt: 1 });
  const pieces = await readTrace(trace);
  const sentAgain = pieces.filter((e) => e.event === 'piece-stored').length - (CHUNKS - stored);
  assert.equal(pieces.filter((e) => e.event === 'piece-kept').length, stored, 'every stored chunk is kept');
  assert.ok(sentAgain < 2, `${sentAgain} chunks sent again`);
  assert.ok((await whereis(repo, 'big.bin')).includes('[cloud]'));
  await ferry(repo, ['fsck', '--from', 'cloud', 'big.bin']);
  // Done means gone from the queue on disk too.
  const again = await start(repo, process.execPath, [child, repo]).done;
  assert.deepEqual(jsonLines(again.stdout), []);
});

test('a download that would break annex.diskreserve waits and is reported, stays queued, and runs once there is room', async (t) => {
  const content = bytes(5, CHUNK * 3);
  const { repo, keys } = await cloudRepo(t, { 'p.bin': content });
  await ferry(repo, ['copy', '--to', 'cloud', 'p.bin']);
  await ferry(repo, ['drop', 'p.bin']);
  await git(repo, ['config', 'annex.diskreserve', '1000000tb']);
  const blocked = await openQueue(repo, { spaceRecheckMs: 3_600_000 });
  t.after(() => blocked.close());
  blocked.queue.start();
  const [id] = await blocked.queue.enqueue([{ direction: 'download', key: keys['p.bin']!, remote: 'cloud', paths: ['p.bin'] }]);
  const waiting = await waitForEvent(blocked, 'transfer-done', (e) => e.transfer === id);
  assert.equal(waiting.ok, false);
  assert.match(waiting.error ?? '', /annex\.diskreserve/);
  assert.equal(waiting.retryInMs, 3_600_000, 'checked again later, not given up');
  assert.deepEqual(blocked.queue.list().map((s) => [s.id, s.state, s.failures]), [[id, 'space-wait', 0]]);
  assert.ok((await lstat(join(repo, 'p.bin'))).size < 1000, 'still the pointer file');
  await blocked.close();

  await git(repo, ['config', 'annex.diskreserve', '1']);
  const q = await openQueue(repo);
  t.after(() => q.close());
  q.queue.start();
  const done = await waitForEvent(q, 'transfer-done', (e) => e.transfer === id);
  assert.equal(done.ok, true, JSON.stringify(done));
  assert.ok((await readFile(join(repo, 'p.bin'))).equals(content));
});

/** The objects in a directory store (each a chunk here), not its temp files. */
async function storedChunks(store: string): Promise<number> {
  const entries = await readdir(store, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && !relative(store, e.parentPath).split('/').includes('tmp')).length;
}
