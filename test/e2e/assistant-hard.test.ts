// The assistant's hard end-to-end cases (ISSUE 15 "Tests"), in the setting of two-lans.ts: a pointer that
// arrives before its content, kill -9 mid-upload, a large file still being copied in, real git-annex
// joining the same cloud, and a rotation with the assistants around it. Real processes throughout; the
// tests wait on the assistants' events, never on sleeps.
import assert from 'node:assert/strict';
import { closeSync, openSync, writeSync } from 'node:fs';
import { readFile, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeJoinCode } from '../../src/sync/index.js';
import { cloneUrl } from '../../src/sync/cloud-join.js';
import type { AssistantProcess } from '../helpers/assistant.js';
import { bytes } from '../helpers/repo.js';
import { jsonLines } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { readTrace } from '../helpers/trace.js';
import type { Machine } from './two-lans.js';
import { downloaded, sha256, twoLans, uploaded, waitUntil } from './two-lans.js';

/** `waiting`, with what `others` printed added to its failure: the other side is usually the one to read. */
async function explained<T>(waiting: Promise<T>, others: readonly AssistantProcess[]): Promise<T> {
  return waiting.catch((err: unknown) => {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${others.map((o) => `--- and ${o.dir}:\n${o.output()}\n${describeEvents(o)}`).join('\n')}`);
  });
}

/** The newest events of `p` but its progress reports, for failure messages. */
function describeEvents(p: AssistantProcess): string {
  return p.events.filter((e) => e.type !== 'transfer-progress').slice(-40).map((e) => JSON.stringify(e)).join('\n');
}

/** The cloud's chunk size as `cloud create` sets it by default (chunk=8MiB). */
const CHUNK = 8 * 2 ** 20;

/** An unlocked file's blob in a commit: a pointer is one line naming an annex object. */
function isPointer(blob: Buffer): boolean {
  return blob.length < 1024 && /^\/annex\/objects\/[^\n]+\n?$/.test(blob.toString('utf8'));
}

/** Every version of `path` that the history of `machine`'s main branch holds, by commit. */
async function versions(machine: Machine, path: string): Promise<{ commit: string; blob: Buffer | undefined }[]> {
  const commits = (await machine.git(['log', '--format=%H', 'main', '--', path])).stdout.split('\n').filter(Boolean);
  const out: { commit: string; blob: Buffer | undefined }[] = [];
  for (const commit of commits) {
    const shown = await machine.git(['cat-file', 'blob', `${commit}:${path}`], { expect: [0, 128] });
    out.push({ commit, blob: shown.code === 0 ? Buffer.from(shown.stdout, 'utf8') : undefined });
  }
  return out;
}

/** Whether `machine`'s whereis of `path` names each of `present` and none of `absent`. */
async function whereisNames(machine: Machine, path: string, present: readonly string[], absent: readonly string[]): Promise<boolean> {
  const out = (await machine.ferry(['whereis', path], { expect: [0, 1] })).stdout;
  return present.every((n) => out.includes(n)) && absent.every((n) => !out.includes(n));
}

/** The key an unlocked file's pointer in `commit` names. */
async function keyAt(machine: Machine, commit: string, path: string): Promise<string> {
  const pointer = (await machine.git(['cat-file', 'blob', `${commit}:${path}`])).stdout.trim();
  return pointer.slice(pointer.lastIndexOf('/') + 1);
}

test('a pointer that arrives by merge before its content is never committed as content; both location logs survive', async (t) => {
  const { a, b, lans } = await twoLans(t);
  if (!lans.isolated) {
    t.skip('needs network namespaces (root) to give A a slow uplink');
    return;
  }
  // A's uplink is slow for real (2 MB/s), so that A pushes the commit (the assistant waits 1 s for the
  // uploads) long before its upload ends; once the push is out, A is held stopped, and the pointer, and only
  // the pointer, reaches B.
  await lans.limitUplink('a', '16mbit');
  const [pa, pb] = [await a.start(), await b.start()];
  const film = bytes(11, 2 * CHUNK + 12_345);
  await writeFile(join(a.dir, 'film.mov'), film);
  const queued = await pa.waitFor('the upload of film.mov queued', (e) => e.type === 'transfer-queued' && e.direction === 'upload' && e.path === 'film.mov');
  // The worker runs one job at a time, so a push that ends after the commit job queued the upload carries the commit.
  await pa.waitFor('the push of the commit', (e) => e.type === 'pushed', { after: queued.id });
  process.kill(pa.pid, 'SIGSTOP');
  let continued = false;
  const resume = () => {
    if (!continued) process.kill(pa.pid, 'SIGCONT');
    continued = true;
  };
  t.after(resume);

  const merged = await pb.waitFor('the merge of film.mov', (e) => e.type === 'pulled' && e.merged && e.changed > 0);
  assert.ok(isPointer(await readFile(join(b.dir, 'film.mov'))), 'B has the pointer file in its work tree');
  assert.equal(await whereisNames(b, 'film.mov', [], ['[cloud]']), true, 'the pointer arrived before the content: B knows of no copy in the cloud');
  // Give B's committer the pointer file to look at (a touch, as a backup tool or an editor's save does), and
  // a real change beside it; the commit that follows must carry the note and leave the pointer a pointer.
  const now = new Date();
  await utimes(join(b.dir, 'film.mov'), now, now);
  await writeFile(join(b.dir, 'note.txt'), 'bob wrote this while the film was on its way\n');
  const committed = await pb.waitFor('B commits its note', (e) => e.type === 'committed', { after: merged.id });
  assert.ok(committed.type === 'committed');
  const touched = (await b.git(['diff-tree', '--no-commit-id', '--name-only', '-r', committed.commit])).stdout.split('\n').filter(Boolean);
  assert.deepEqual(touched, ['note.txt'], 'B\'s commit holds the note, not the film');
  for (const v of await versions(b, 'film.mov')) assert.ok(v.blob !== undefined && isPointer(v.blob), `commit ${v.commit} holds a pointer`);
  assert.ok(pa.events.every((e) => !(e.type === 'transfer-done' && e.transfer === (queued.type === 'transfer-queued' ? queued.transfer : '') && e.ok)),
    'A had not finished the upload when it was stopped');

  resume();
  await uploaded(pa, 'film.mov');
  await explained(downloaded(pb, 'film.mov', merged.id), [pa]);
  assert.ok((await readFile(join(b.dir, 'film.mov'))).equals(film), 'B has the film, verified');
  // Both clients have it: the cloud copy goes, and each side's location log keeps the other's line.
  await waitUntil('both know both copies, and the cloud copy dropped', [pa, pb], async () =>
    await whereisNames(a, 'film.mov', ['alice', 'bob'], ['[cloud]']) && await whereisNames(b, 'film.mov', ['alice', 'bob'], ['[cloud]']));
  // No commit anywhere in B's history (nor in A's, once merged) changed film.mov to anything but the pointer.
  await waitUntil('A merged B\'s note', [pa, pb], async () => (await a.git(['ls-files', 'note.txt'])).stdout.trim() === 'note.txt');
  for (const m of [a, b]) {
    const all = await versions(m, 'film.mov');
    assert.ok(all.length >= 1);
    for (const v of all) assert.ok(v.blob !== undefined && isPointer(v.blob), `${m.side}: commit ${v.commit} holds a pointer, not content`);
  }
  assert.equal((await b.git(['status', '--porcelain'])).stdout, '', 'B\'s work tree has nothing uncommitted: the content is not a change');
});

/** Objects over 1 MiB in s3rver's data directory: the chunks of the one large file (git's bundles are small). */
async function storedPieces(s3dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(s3dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !e.name.endsWith('._S3rver_object')) continue;
    if ((await stat(join(e.parentPath, e.name))).size > 2 ** 20) n++;
  }
  return n;
}

test('kill -9 of A\'s assistant mid-upload of a 200 MB file: restarted, it resumes, sends less than 2 chunks again, and B gets the file', async (t) => {
  const { a, b, s3 } = await twoLans(t);
  const size = 200_000_000;
  const chunks = Math.ceil(size / CHUNK);
  const film = bytes(12, size);
  const pb = await b.start();
  const killed = await a.start({ FERRY_TEST_CRASH: 'piece-stored:4' });
  await writeFile(join(a.dir, 'big.mov'), film);
  const end = await killed.ended;
  assert.equal(end.signal, 'SIGKILL', `killed by its checkpoint at the 4th stored chunk\n${killed.output()}`);
  assert.ok(killed.events.some((e) => e.type === 'transfer-queued' && e.path === 'big.mov' && e.direction === 'upload'), 'the upload was under way');
  const before = await storedPieces(s3.directory);
  assert.ok(before >= 4 && before < chunks, `${before} of ${chunks} chunks stored before the kill`);

  // The restart is not told what to do: its queue on disk (and its catch-up look at the tree) is all it has.
  // FERRY_TEST_TRACE logs every piece the special remote stores (piece-stored) or finds already there and
  // skips (piece-kept): the issue's "logging Store wrapper", kept in the product as a checkpoint.
  const trace = join(await tempDir(t), 'resume.trace');
  const pa = await a.start({ FERRY_TEST_TRACE: trace });
  const done = await uploaded(pa, 'big.mov');
  await explained(downloaded(pb, 'big.mov'), [pa]);
  assert.equal(sha256(await readFile(join(b.dir, 'big.mov'))), sha256(film), 'B has exactly the bytes A had');
  const pieces = (await readTrace(trace)).filter((e) => e.event === 'piece-stored' || e.event === 'piece-kept');
  const kept = pieces.filter((e) => e.event === 'piece-kept').length;
  const stored = pieces.filter((e) => e.event === 'piece-stored').length;
  // A chunk the server was renaming into place as A died is counted by the restart, not by `before`.
  assert.ok(kept >= before, 'every chunk stored before the kill is kept');
  // What the kill itself loses is only the chunks in flight then (the store keeps no partial object).
  const sentAgain = stored - (chunks - before);
  t.diagnostic(`${before} of ${chunks} chunks stored before the kill; the restart kept ${kept}, stored ${stored}`);
  assert.ok(sentAgain < 2, `${sentAgain} chunks sent again (${stored} stored, ${kept} kept, ${chunks} in all)`);
  assert.equal(stored + kept, chunks, 'each chunk looked at once: one upload, not two');
  assert.ok(done.type === 'transfer-done' && done.attempt === 1);
});

test('a 200 MB file still being copied into A\'s folder is committed only once the copy is done, with its full size', async (t) => {
  const { a, b } = await twoLans(t);
  const [pa, pb] = [await a.start(), await b.start()];
  const size = 200_000_000;
  const film = bytes(13, size);
  const piece = 16 * 2 ** 20;
  // This process is the writer: the file stays open for writing between its pieces, as under `cp`.
  const fd = openSync(join(a.dir, 'copying.mov'), 'w');
  let closed = false;
  t.after(() => { if (!closed) closeSync(fd); });
  let written = writeSync(fd, film, 0, piece);
  const mark = pa.last();
  await pa.waitFor('copying.mov deferred as open for writing', (e) => e.type === 'file-deferred' && e.path === 'copying.mov' && e.reason === 'open for writing');
  // More pieces with pauses that outlast the quiet period: each wakes the committer, none lets it add.
  for (let round = 0; round < 3; round++) {
    const seen = pa.last();
    written += writeSync(fd, film, written, piece);
    await pa.waitFor('the watcher sees the copy grow', (e) => e.type === 'changes-seen', { after: seen });
  }
  assert.ok(!pa.events.some((e) => e.id > mark && e.type === 'committed'), 'nothing committed while the file is open for writing');
  while (written < size) written += writeSync(fd, film, written, Math.min(piece, size - written));
  closeSync(fd);
  closed = true;

  const committed = await pa.waitFor('the commit of copying.mov', (e) => e.type === 'committed' && e.added > 0, { after: mark });
  assert.ok(committed.type === 'committed');
  const adds = (await a.git(['log', '--format=%H', '--diff-filter=A', 'main', '--', 'copying.mov'])).stdout.split('\n').filter(Boolean);
  assert.deepEqual(adds, [committed.commit], 'one commit adds it, the one after the copy');
  assert.match(await keyAt(a, committed.commit, 'copying.mov'), new RegExp(`-s${size}--`), 'the committed key has the full size');
  await explained(downloaded(pb, 'copying.mov'), [pa]);
  assert.equal(sha256(await readFile(join(b.dir, 'copying.mov'))), sha256(film), 'B has exactly the bytes written');
});

test('real git-annex 10.20230126 joins the same cloud through the ferry:: remote and gets a file A\'s assistant added', async (t) => {
  const { a, b, code } = await twoLans(t);
  const pa = await a.start(); // B stays off: the cloud keeps what B lacks, for C to get
  const photo = bytes(14, 3 * CHUNK + 777);
  await writeFile(join(a.dir, 'photo.raw'), photo);
  await uploaded(pa, 'photo.raw');
  // The assistant pushes the upload's location log soon after; a push that was already under way when the
  // upload ended may not carry it, and nothing the assistant reports tells the two apart. A sync by hand on A
  // makes sure the cloud's history has it before git-annex looks.
  await a.ferry(['sync', '--no-pull', '--no-commit', 'cloud-git']);

  // C: git-annex itself, on B's LAN. Clone through git-remote-ferry with the secret in the environment only,
  // as `ferry join` does, then git-annex init and enableremote with the S3 key pair in the environment.
  const joined = decodeJoinCode(code);
  const url = cloneUrl(joined, new Map(Object.entries(joined.params)));
  const root = await tempDir(t, 'ferry-e2e-c-');
  const c = join(root, 'carol');
  const inB = (cwd: string, program: string, args: readonly string[], env: Record<string, string> = {}) => b.run(cwd, program, args, { env });
  await inB(root, 'git', ['clone', '-q', url, c], { FERRY_SECRET: joined.cipher! });
  // The cloud is not on loopback when the sides are namespaces: git-annex must be allowed to reach it.
  await inB(c, 'git', ['config', 'annex.security.allowed-ip-addresses', 'all']);
  await inB(c, 'git', ['annex', 'init', '-q', 'carol']);
  await inB(c, 'git', ['annex', 'enableremote', 'cloud']);
  const got = await inB(c, 'git', ['annex', 'get', 'photo.raw']);
  assert.match(got.stdout, /get photo\.raw \(from cloud\.\.\.\)/);
  assert.ok((await readFile(join(c, 'photo.raw'))).equals(photo), 'git-annex got the very bytes A added');
  const version = (await inB(c, 'git', ['annex', 'version', '--raw'])).stdout.trim();
  assert.equal(version, '10.20230126');
  // git-annex logged its own copy in the history it cloned from ferry's cloud.
  assert.match((await inB(c, 'git', ['annex', 'whereis', 'photo.raw'])).stdout, /carol \[here\]/);
  assert.equal(pa.events.some((e) => e.type === 'error'), false, pa.output());
});

test('cloud rotate and rejoin wait for the assistant to be stopped; restarted, the assistants sync through the new cloud only', async (t) => {
  const { a, b, s3 } = await twoLans(t);
  let [pa, pb] = [await a.start(), await b.start()];
  await writeFile(join(a.dir, 'before.txt'), 'through the first cloud\n');
  await downloaded(pb, 'before.txt');
  // A running assistant keeps the clouds it opened: after a rotation under it, it would push to the retired
  // one (refused, again and again) and never to the new one. So rotate refuses while one runs, and does nothing.
  const refused = await a.ferry(['cloud', 'rotate', 'cloud'], { expect: [1] });
  assert.match(refused.stderr, new RegExp(`an assistant is running for this repository \\(pid ${pa.pid}\\)`));
  assert.match(refused.stderr, /ferry assistant --stop/);
  assert.doesNotMatch((await a.git(['remote'])).stdout, /cloud-2/, 'no new cloud was made');
  assert.equal((await a.git(['config', '--get', 'remote.cloud-git.ferry-retired'], { expect: [1] })).stdout, '', 'the old one is not retired');
  await pa.stop();
  await pb.stop();

  const rotated = jsonLines((await a.ferry(['cloud', 'rotate', 'cloud', '--json'])).stdout).find((r) => typeof r.code === 'string');
  assert.ok(rotated, 'rotate printed the new join code');
  const rotatedAt = Date.now();
  assert.equal(rotated.name, 'cloud-2');
  const code = `${rotated.code as string}\n`;
  const running = await b.start();
  assert.match((await b.ferry(['rejoin', '-'], { input: code, expect: [1] })).stderr, /an assistant is running for this repository/);
  await running.stop();
  await b.ferry(['rejoin', '-'], { input: code });
  for (const m of [a, b]) {
    assert.equal((await m.git(['config', '--get', 'remote.cloud-git.ferry-retired'])).stdout.trim(), 'true', `${m.side} retired the old cloud`);
  }

  [pa, pb] = [await a.start(), await b.start()];
  assert.ok(!pa.events.some((e) => e.type === 'notifier' && e.remote === 'cloud-git'), 'A no longer listens on the retired cloud');
  await writeFile(join(a.dir, 'after.txt'), 'through the new cloud\n');
  const up = await uploaded(pa, 'after.txt');
  const queued = pa.events.find((e) => e.type === 'transfer-queued' && e.path === 'after.txt' && e.direction === 'upload');
  assert.ok(queued?.type === 'transfer-queued' && queued.remote === 'cloud-2', 'uploaded to the new cloud');
  const done = await explained(downloaded(pb, 'after.txt'), [pa]);
  assert.equal(await readFile(join(b.dir, 'after.txt'), 'utf8'), 'through the new cloud\n');
  const got = pb.events.find((e) => e.type === 'transfer-queued' && e.path === 'after.txt' && e.direction === 'download');
  assert.ok(got?.type === 'transfer-queued' && got.remote === 'cloud-2', 'downloaded from the new cloud');
  assert.ok(up.id > 0 && done.id > 0);
  // Nothing went to the old cloud: neither assistant pushed there, and the old store (everything in the
  // bucket but the new cloud's prefix) holds nothing written after the rotation.
  for (const p of [pa, pb]) assert.ok(!p.events.some((e) => e.type === 'pushed' && e.remote === 'cloud-git'), `${p.dir} pushed nothing to the retired cloud`);
  const old: string[] = [];
  const newer: string[] = [];
  for (const e of await readdir(s3.directory, { recursive: true, withFileTypes: true })) {
    const path = join(e.parentPath, e.name);
    if (!e.isFile() || path.includes('rotated-cloud-2')) continue;
    old.push(path);
    if ((await stat(path)).mtimeMs > rotatedAt) newer.push(path);
  }
  assert.ok(old.some((p) => p.endsWith('._S3rver_object')), 'the old store is still there');
  assert.deepEqual(newer, [], 'the old store is left as the rotation left it');
});
