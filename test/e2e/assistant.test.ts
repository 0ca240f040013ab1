// The assistant end to end (ISSUE 15 "Tests"): two machines on separate LANs kept in sync through a cloud
// (s3rver) and a relay, each running `ferry assistant` as a real process, driven through its status API.
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { bytes } from '../helpers/repo.js';
import { downloaded, sha256, treeDigest, twoLans, uploaded, waitUntil } from './two-lans.js';

test('both online: a file added on A arrives on B with its content, and the cloud copy goes once B has it', async (t) => {
  const { a, b } = await twoLans(t);
  const [pa, pb] = [await a.start(), await b.start()];
  const photo = bytes(1, 300_000);
  await mkdir(join(a.dir, 'trip'));
  await writeFile(join(a.dir, 'trip', 'photo.jpg'), photo);
  await writeFile(join(a.dir, 'note.txt'), 'hello from alice\n');

  await uploaded(pa, 'trip/photo.jpg');
  const done = await downloaded(pb, 'trip/photo.jpg');
  assert.deepEqual(await readFile(join(b.dir, 'trip', 'photo.jpg')), photo, 'the content, verified, in an ordinary file');
  await downloaded(pb, 'note.txt');
  assert.equal(await readFile(join(b.dir, 'note.txt'), 'utf8'), 'hello from alice\n');
  // B completed the set of clients: it drops the cloud's copy right after its own download.
  await pb.waitFor('the cloud copy dropped', (e) => e.type === 'dropped' && e.from === 'cloud', { after: done.id });
  await waitUntil('B knows the photo is no longer in the cloud', [pa, pb], async () => !(await b.ferry(['whereis', 'trip/photo.jpg'])).stdout.includes('[cloud]'));
  // Nothing B wrote became a commit of its own: the download is not an edit.
  const authors = (await b.git(['log', '--format=%s', 'main'])).stdout;
  assert.doesNotMatch(authors, /git-annex in bob/);

  // B's status (the same API the page reads) names Alice with her last published change, which lacks
  // nothing; a retirement period already past marks her silent, with the offer, and drops nothing.
  const status = JSON.parse((await b.ferry(['status', '--json'])).stdout) as { peers: { description: string; seq?: number; lastSeen?: number; silent?: boolean; lacks: { files: number } }[] };
  const alice = status.peers.find((p) => p.description === 'alice');
  assert.ok(alice && alice.seq !== undefined && alice.seq >= 1 && typeof alice.lastSeen === 'number', JSON.stringify(status.peers));
  assert.equal(alice.silent, undefined);
  await b.git(['config', 'ferry.retireafter', '0']);
  const later = JSON.parse((await b.ferry(['status', '--json'])).stdout) as typeof status;
  assert.equal(later.peers.find((p) => p.description === 'alice')?.silent, true);
  assert.match((await b.ferry(['status'])).stdout, /silent past the retirement period; if it is gone for good: ferry dead /);
  assert.deepEqual(await readFile(join(b.dir, 'trip', 'photo.jpg')), photo);
});

test('B offline: A adds, edits and deletes; the cloud keeps what B lacks; B starts later and catches up exactly', async (t) => {
  const { a, b } = await twoLans(t);
  const pa = await a.start();
  await writeFile(join(a.dir, 'keep.txt'), 'version 1\n');
  await writeFile(join(a.dir, 'gone.bin'), bytes(2, 50_000));
  await uploaded(pa, 'keep.txt');
  await uploaded(pa, 'gone.bin');
  const mark = pa.last();
  await writeFile(join(a.dir, 'keep.txt'), 'version 2, edited\n');
  await rm(join(a.dir, 'gone.bin'));
  await writeFile(join(a.dir, 'later.txt'), 'added later\n');
  await uploaded(pa, 'later.txt', mark);
  await waitUntil('A has committed the edit and the delete', [pa], async () =>
    (await a.git(['ls-files'])).stdout.split('\n').filter(Boolean).sort().join(',') === 'keep.txt,later.txt'
    && (await a.git(['status', '--porcelain'])).stdout === '');
  const lastChange = Math.max(...pa.events.filter((e) => e.type === 'committed' || e.type === 'transfer-done').map((e) => e.id));
  await pa.waitFor('the push of it all', (e) => e.type === 'pushed', { after: lastChange });
  // B lacks all of it: the cloud wants it, and keeps it.
  assert.match((await a.ferry(['whereis', 'keep.txt'])).stdout, /\[cloud\]/);
  await pa.stop();

  const pb = await b.start();
  await downloaded(pb, 'keep.txt');
  await downloaded(pb, 'later.txt');
  await waitUntil('B matches A', [pb], async () => JSON.stringify(await treeDigest(b.dir)) === JSON.stringify(await treeDigest(a.dir)));
  assert.deepEqual(Object.keys(await treeDigest(b.dir)), ['keep.txt', 'later.txt']);
  assert.equal(await readFile(join(b.dir, 'keep.txt'), 'utf8'), 'version 2, edited\n');
});

test('relay killed: changes still arrive through polling; relay back: notices come through it again', async (t) => {
  const { a, b, relay } = await twoLans(t);
  const [pa, pb] = [await a.start(), await b.start()];
  await writeFile(join(a.dir, 'first.txt'), 'through the relay\n');
  await downloaded(pb, 'first.txt');
  assert.ok(pb.events.some((e) => e.type === 'notice' && e.via.startsWith('relay')), 'the first change came by relay');

  await relay!.stop();
  let mark = pb.last();
  await writeFile(join(a.dir, 'second.txt'), 'through polling\n');
  await downloaded(pb, 'second.txt', mark);
  const notices = pb.events.filter((e) => e.id > mark && e.type === 'notice');
  assert.ok(notices.length > 0 && notices.every((e) => e.type === 'notice' && e.via === 'poll'), JSON.stringify(notices));

  const markA = pa.last();
  mark = pb.last();
  await relay!.restart();
  await pb.waitFor('the relay connected again', (e) => e.type === 'notifier' && e.notifier.startsWith('relay') && e.state === 'connected', { after: mark });
  await pa.waitFor('the relay connected again', (e) => e.type === 'notifier' && e.notifier.startsWith('relay') && e.state === 'connected', { after: markA });
  mark = pb.last();
  await writeFile(join(a.dir, 'third.txt'), 'through the relay again\n');
  await downloaded(pb, 'third.txt', mark);
  assert.ok(pb.events.some((e) => e.id > mark && e.type === 'notice' && e.via.startsWith('relay')), 'notices resumed through the relay');
});

test('both edit the same file offline: both versions survive as variants on both machines', async (t) => {
  const { a, b } = await twoLans(t);
  let [pa, pb] = [await a.start(), await b.start()];
  await writeFile(join(a.dir, 'doc.txt'), 'original\n');
  await downloaded(pb, 'doc.txt');
  await pa.stop();
  await pb.stop();
  await writeFile(join(a.dir, 'doc.txt'), 'alice was here\n');
  await writeFile(join(b.dir, 'doc.txt'), 'bob was here\n');
  [pa, pb] = [await a.start(), await b.start()];
  const both = [sha256('alice was here\n'), sha256('bob was here\n')].sort();
  const variants = async (dir: string) => Object.entries(await treeDigest(dir)).filter(([p]) => p.startsWith('doc')).map(([, h]) => h).sort();
  await waitUntil('both versions on both machines', [pa, pb], async () =>
    JSON.stringify(await variants(a.dir)) === JSON.stringify(both) && JSON.stringify(await variants(b.dir)) === JSON.stringify(both));
  const names = (await readdir(a.dir)).filter((n) => n.startsWith('doc')).sort();
  assert.equal(names.length, 2);
  assert.ok(names.every((n) => /^doc\.variant-[0-9a-f]+\.txt$/.test(n)), names.join(', '));
  assert.deepEqual((await readdir(b.dir)).filter((n) => n.startsWith('doc')).sort(), names);
});

test('a file moved to another folder on A arrives moved on B, readable', async (t) => {
  const { a, b } = await twoLans(t);
  const [pa, pb] = [await a.start(), await b.start()];
  await mkdir(join(a.dir, 'inbox'));
  await writeFile(join(a.dir, 'inbox', 'report.pdf'), bytes(3, 20_000));
  await downloaded(pb, 'inbox/report.pdf');
  const mark = pb.last();
  await mkdir(join(a.dir, 'archive-2026'));
  await rename(join(a.dir, 'inbox', 'report.pdf'), join(a.dir, 'archive-2026', 'report.pdf'));
  await waitUntil('the move on B', [pa, pb], async () =>
    (await readFile(join(b.dir, 'archive-2026', 'report.pdf')).catch(() => Buffer.alloc(0))).equals(bytes(3, 20_000))
    && (await readdir(join(b.dir, 'inbox')).catch(() => [])).length === 0);
  assert.ok(pb.last() > mark);
});

test('a relay that is down when the assistant starts is tried again: once it is up, notices come through it', async (t) => {
  const { a, b, relay } = await twoLans(t);
  await relay!.stop();
  const [pa, pb] = [await a.start(), await b.start()];
  await pb.waitFor('the relay reported failed', (e) => e.type === 'notifier' && e.notifier.startsWith('relay') && e.state === 'failed');
  await writeFile(join(a.dir, 'meanwhile.txt'), 'through polling\n');
  await downloaded(pb, 'meanwhile.txt');
  await relay!.restart();
  // The first retry is 30 s after the failure.
  await pa.waitFor('A connected to the relay', (e) => e.type === 'notifier' && e.notifier.startsWith('relay') && e.state === 'connected');
  const mark = pb.last();
  await pb.waitFor('B connected to the relay', (e) => e.type === 'notifier' && e.notifier.startsWith('relay') && e.state === 'connected');
  await writeFile(join(a.dir, 'prompt.txt'), 'through the relay\n');
  await downloaded(pb, 'prompt.txt', mark);
  assert.ok(pb.events.some((e) => e.type === 'notice' && e.via.startsWith('relay')), 'a notice came through the relay');
});
