import assert from 'node:assert/strict';
import { chmod, lstat, mkdir, open, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { bytes, makeRepo, writeTree } from '../helpers/repo.js';
import { ferry, git, gitAnnex, jsonLines, start } from '../helpers/run.js';
import { readTrace, waitUntilStopped } from '../helpers/trace.js';
import { tempDir } from '../helpers/tmp.js';

interface Pair {
  readonly origin: string;
  readonly clone: string;
  readonly big: Buffer;
}

/** A ferry repository with a locked, an unlocked and a 3 MB file, and a ferry clone of it. */
async function pair(t: { after(fn: () => unknown): void }, init: 'ferry' | 'git-annex' = 'ferry'): Promise<Pair> {
  const big = bytes(7, 3_000_000);
  const origin = await makeRepo(t, { init, description: 'origin repo', files: { 'a.txt': 'alpha\n', 'big.bin': big } });
  if (init === 'ferry') await ferry(origin, ['add', 'a.txt', 'big.bin']);
  else await gitAnnex(origin, ['add', '-q', 'a.txt', 'big.bin']);
  await writeTree(origin, { 'u.txt': 'unlocked\n' });
  if (init === 'ferry') await ferry(origin, ['add', '--unlocked', 'u.txt']);
  else {
    await gitAnnex(origin, ['add', '-q', 'u.txt']);
    await gitAnnex(origin, ['unlock', '-q', 'u.txt']);
  }
  await git(origin, ['commit', '-q', '-m', 'add']);
  const clone = join(await tempDir(t), 'clone');
  await git(origin, ['clone', '-q', origin, clone]);
  await ferry(clone, ['init', 'clone repo']);
  return { origin, clone, big };
}

async function whereisUuids(dir: string, file: string): Promise<string[]> {
  const [r] = jsonLines((await ferry(dir, ['whereis', '--json', file], { expect: [] })).stdout);
  return ((r?.whereis ?? []) as { uuid: string }[]).map((w) => w.uuid).sort();
}

async function uuidOf(dir: string): Promise<string> {
  return (await git(dir, ['config', 'annex.uuid'])).stdout.trim();
}

test('get fetches locked and unlocked files from a path remote, verified, and logs the new copy', async (t) => {
  const { origin, clone, big } = await pair(t);
  const results = jsonLines((await ferry(clone, ['get', '--json', '.'])).stdout);
  assert.deepEqual(results.map((r) => [r.file, r.success, r.note]), [
    ['a.txt', true, 'from origin...'], ['big.bin', true, 'from origin...'], ['u.txt', true, 'from origin...'],
  ]);
  assert.equal(await readFile(join(clone, 'a.txt'), 'utf8'), 'alpha\n');
  assert.deepEqual(await readFile(join(clone, 'big.bin')), big);
  assert.ok((await lstat(join(clone, 'u.txt'))).isFile());
  assert.equal(await readFile(join(clone, 'u.txt'), 'utf8'), 'unlocked\n');
  assert.equal((await git(clone, ['status', '--porcelain'])).stdout, '');
  assert.deepEqual(await whereisUuids(clone, 'big.bin'), [await uuidOf(origin), await uuidOf(clone)].sort());
  assert.equal((await ferry(clone, ['get', '.'])).stdout, '', 'nothing left to get, nothing said');
  await gitAnnex(clone, ['fsck', '--quiet']);
});

test('an interrupted get resumes from the partial file; bad bytes are never kept', async (t) => {
  const { clone, big } = await pair(t);
  const key = String(jsonLines((await ferry(clone, ['whereis', '--json', 'big.bin'])).stdout)[0]?.key);
  const partial = join(clone, '.git/annex/tmp', key);
  await mkdir(dirname(partial), { recursive: true });
  await writeFile(partial, big.subarray(0, 1_000_000));
  const progress = jsonLines((await ferry(clone, ['get', '--json', '--json-progress', 'big.bin'])).stdout)
    .map((r) => r['byte-progress']).filter((b): b is number => typeof b === 'number' && b > 0);
  // Reading 1 MiB blocks from byte 1,000,000 on: the first figure is past what a fresh start could reach.
  assert.ok(progress[0]! > 1_048_576, `resumed at the partial file's end (first progress ${progress[0]})`);
  assert.deepEqual(await readFile(join(clone, 'big.bin')), big);
  await assert.rejects(stat(partial), 'the partial file became the object');

  // A partial file holding the wrong bytes makes the result fail verification: deleted, not kept, and the
  // same get fetches the content again from the start.
  await ferry(clone, ['drop', '--force', 'big.bin']);
  const wrong = Buffer.from(big.subarray(0, 1_000_000));
  wrong[10] = wrong[10]! ^ 0xff;
  await writeFile(partial, wrong);
  const trace = join(clone, '..', 'get.trace');
  await ferry(clone, ['get', 'big.bin'], { env: { FERRY_TEST_TRACE: trace } });
  const events = (await readTrace(trace)).map((e) => e.event);
  assert.equal(events.filter((e) => e === 'verify-failed').length, 1, 'the resumed bytes failed verification once');
  assert.equal(events.filter((e) => e === 'received').length, 1, 'then a fresh transfer was received');
  await assert.rejects(stat(partial));
  assert.deepEqual(await readFile(join(clone, 'big.bin')), big);
  await ferry(clone, ['fsck', 'big.bin']);
});

test('content that does not match its key at the source is refused and not logged', async (t) => {
  const { origin, clone } = await pair(t);
  const key = String(jsonLines((await ferry(origin, ['find', '--json', 'a.txt'])).stdout)[0]?.key);
  const object = (await gitAnnex(origin, ['contentlocation', key])).stdout.trim();
  await chmod(join(origin, object), 0o644);
  await writeFile(join(origin, object), 'tampered\n');
  const r = await ferry(clone, ['get', '--json', 'a.txt'], { expect: [1] });
  const [rec] = jsonLines(r.stdout);
  assert.equal(rec?.success, false);
  assert.match(String((rec?.['error-messages'] as string[])[0]), /does not match its key/);
  assert.deepEqual(await whereisUuids(clone, 'a.txt'), [await uuidOf(origin)]);
});

test('copy --to, move --to, move --from and drop --from keep both location logs right', async (t) => {
  const { origin, clone } = await pair(t);
  const [o, c] = [await uuidOf(origin), await uuidOf(clone)];
  await ferry(clone, ['get', 'a.txt']);
  await ferry(origin, ['drop', '--force', 'a.txt']);
  const copied = jsonLines((await ferry(clone, ['copy', '--json', '--to=origin', 'a.txt'])).stdout);
  assert.deepEqual(copied.map((r) => [r.note, r.success]), [['to origin...', true]]);
  assert.deepEqual(await whereisUuids(clone, 'a.txt'), [o, c].sort());
  assert.deepEqual(await whereisUuids(origin, 'a.txt'), [o], 'origin logged its own copy (it learns of the clone\'s on sync)');
  await ferry(clone, ['move', '--from=origin', 'a.txt']);
  assert.deepEqual(await whereisUuids(clone, 'a.txt'), [c]);
  assert.deepEqual(await whereisUuids(origin, 'a.txt'), [], 'origin logged the removal of its copy');
  await ferry(clone, ['move', '--to=origin', 'a.txt']);
  assert.deepEqual(await whereisUuids(clone, 'a.txt'), [o]);
  assert.equal(await readFile(join(origin, 'a.txt'), 'utf8'), 'alpha\n');
  await gitAnnex(origin, ['fsck', '--quiet']);
  await gitAnnex(clone, ['fsck', '--quiet', '--fast']);
});

test('drop refuses without enough verified copies, and --force says what it risks', async (t) => {
  const { origin, clone } = await pair(t);
  await ferry(clone, ['get', 'a.txt']);
  const refused = await ferry(clone, ['drop', '--numcopies=2', 'a.txt'], { expect: [1] });
  assert.match(refused.stdout, /Could only verify the existence of 1 out of 2 necessary copies/);
  assert.match(refused.stdout, /Rather than dropping this file, try using: ferry move/);
  assert.equal(await readFile(join(clone, 'a.txt'), 'utf8'), 'alpha\n');
  await ferry(clone, ['drop', 'a.txt']);
  // Now the clone has none: origin's copy is the last one.
  const last = await ferry(origin, ['drop', 'a.txt'], { expect: [1] });
  assert.match(last.stdout, /Could only verify the existence of 0 out of 1 necessary copy/);
  const forced = await ferry(origin, ['drop', '--force', 'a.txt']);
  assert.match(forced.stderr, /the last copy of a file can be lost/);
});

test('annex.diskreserve is honoured, naming the setting', async (t) => {
  const { clone } = await pair(t);
  await git(clone, ['config', 'annex.diskreserve', '100000gb']);
  const r = await ferry(clone, ['get', 'big.bin'], { expect: [1] });
  assert.match(r.stdout, /not enough free space: .*annex\.diskreserve/);
});

test('a remote over ssh is skipped for content with one line, never a crash', async (t) => {
  const { clone } = await pair(t);
  await git(clone, ['remote', 'add', 'far', 'ssh://example.invalid/srv/repo.git']);
  const r = await ferry(clone, ['get', '--from=far', 'a.txt'], { expect: [2] });
  assert.match(r.stderr, /cannot use remote far: content over ssh needs git-annex-shell: not supported yet/);
  await ferry(clone, ['get', 'a.txt']);
});

test('ferry and git-annex fetch from each other and refuse to drop each other\'s only copy', async (t) => {
  for (const [originTool, cloneTool] of [['git-annex', 'ferry'], ['ferry', 'git-annex']] as const) {
    const { origin, clone } = await pair(t, originTool);
    if (cloneTool === 'git-annex') {
      await gitAnnex(clone, ['init', '-q', 'annex clone']).catch(() => undefined);
      await gitAnnex(clone, ['get', '-q', 'a.txt']);
    } else await ferry(clone, ['get', 'a.txt']);
    assert.equal(await readFile(join(clone, 'a.txt'), 'utf8'), 'alpha\n');
    // The clone holds a copy; once origin has fetched the clone's git-annex branch (which says so), dropping
    // origin's copy is allowed (the clone's copy is proven, locked)...
    await git(origin, ['remote', 'add', 'clone', clone]);
    await git(origin, ['fetch', '-q', 'clone']);
    if (originTool === 'ferry') await ferry(origin, ['drop', 'a.txt']);
    else await gitAnnex(origin, ['drop', '-q', 'a.txt']);
    // ...and then the clone's copy is the only one: each tool refuses to drop it.
    const refused = cloneTool === 'ferry' ? await ferry(clone, ['drop', 'a.txt'], { expect: [1] }) : await gitAnnex(clone, ['drop', 'a.txt'], { expect: [1] });
    assert.match(refused.stdout + refused.stderr, /Could only verify the existence of 0 out of 1 necessary copy/);
    await gitAnnex(clone, ['fsck', '--quiet']);
  }
});

test('a large local file is copied by the kernel while it is hashed: a kill resumes, a source changed meanwhile is refused', async (t) => {
  const huge = bytes(11, 12_000_000);
  const origin = await makeRepo(t, { files: { 'huge.bin': huge } });
  await ferry(origin, ['add', 'huge.bin']);
  await git(origin, ['commit', '-q', '-m', 'add']);
  const clone = join(await tempDir(t), 'clone');
  await git(origin, ['clone', '-q', origin, clone]);
  await ferry(clone, ['init', 'clone']);
  const object = join(origin, dirname('huge.bin'), await readlink(join(origin, 'huge.bin')));

  // Killed while hashing: whatever the copy had written stays as the partial file, and the next get resumes it.
  await ferry(clone, ['get', 'huge.bin'], { env: { FERRY_TEST_CRASH: 'receive-write:3' }, expect: [128] });
  await ferry(clone, ['get', 'huge.bin']);
  assert.deepEqual(await readFile(join(clone, 'huge.bin')), huge);
  await ferry(clone, ['drop', 'huge.bin']);

  // The source is written to while the copy runs: refused, nothing kept; once it is right again, the get works.
  const paused = start(clone, 'ferry', ['get', 'huge.bin'], { env: { FERRY_TEST_STOP: 'receive-write:2' }, expect: [1] });
  await waitUntilStopped(paused.child.pid!);
  await chmod(object, 0o644);
  const original = huge[5_000_000]!;
  await writeByte(object, 5_000_000, original ^ 1);
  paused.child.kill('SIGCONT');
  const refused = await paused.done;
  assert.match(refused.stdout + refused.stderr, /changed while it was being copied/);
  assert.equal((await ferry(clone, ['find', 'huge.bin'])).stdout, '', 'nothing kept');
  await writeByte(object, 5_000_000, original);
  await ferry(clone, ['get', 'huge.bin']);
  assert.deepEqual(await readFile(join(clone, 'huge.bin')), huge);
  await gitAnnex(clone, ['fsck', '--quiet']);
});

async function writeByte(path: string, at: number, value: number): Promise<void> {
  const f = await open(path, 'r+');
  try {
    await f.write(Buffer.from([value]), 0, 1, at);
  } finally {
    await f.close();
  }
}

test('copy --to -J 2 reports progress while a large file moves', async (t) => {
  const { clone, big } = await pair(t);
  await ferry(clone, ['get', 'big.bin']);
  const other = join(await tempDir(t), 'other');
  await git(clone, ['clone', '-q', clone, other]);
  await ferry(other, ['init', 'other']);
  await git(clone, ['remote', 'add', 'other', other]);
  const records = jsonLines((await ferry(clone, ['copy', '--to', 'other', '-J', '2', '--json', '--json-progress', 'big.bin'])).stdout);
  const progress = records.map((r) => r['byte-progress']).filter((b): b is number => typeof b === 'number');
  assert.ok(progress.length >= 2, `progress records (${progress.length})`);
  assert.equal(progress.at(-1), big.length, 'the last one is the whole file');
  assert.deepEqual(records.filter((r) => 'success' in r).map((r) => [r.file, r.success]), [['big.bin', true]]);
  assert.deepEqual(await readFile(join(other, '.git/annex/objects', await objectPathOf(other, 'big.bin'))), big);
});

async function objectPathOf(dir: string, file: string): Promise<string> {
  const key = String(jsonLines((await ferry(dir, ['whereis', '--json', file])).stdout)[0]?.key);
  return (await ferry(dir, ['examinekey', '--format', '${hashdirmixed}${key}/${key}', key])).stdout;
}
