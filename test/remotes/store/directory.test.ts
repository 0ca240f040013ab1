import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DirectoryStore, StoreNotFoundError, StorePermanentError } from '../../../src/remotes/store/index.js';
import { bytes } from '../../helpers/repo.js';
import { start } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';
import { runStoreConformance } from '../store-conformance.js';

runStoreConformance('DirectoryStore', async (t) => new DirectoryStore(await tempDir(t)));

const child = fileURLToPath(new URL('./directory-child.js', import.meta.url));

test('objects are read-only files, and tmp/ is left empty by puts that succeed or fail', async (t) => {
  const root = await tempDir(t);
  const store = new DirectoryStore(root);
  await store.put('x/y/obj', { bytes: bytes(1, 1000) });
  await store.put('top', { path: process.execPath, size: 10 });
  // A whole file is copied by the kernel, which gives the copy the source's mode: write bits are taken away.
  const writable = join(await tempDir(t), 'writable');
  await writeFile(writable, 'whole file\n', { mode: 0o664 });
  await store.put('whole', { path: writable });
  await assert.rejects(store.put('broken', { open: () => { throw new Error('no source'); } }));
  await assert.rejects(store.put('gone', { path: join(root, 'no-such-file') }));
  assert.equal((await stat(join(root, 'x/y/obj'))).mode & 0o777, 0o444);
  assert.equal((await stat(join(root, 'top'))).mode & 0o777, 0o444);
  assert.equal((await stat(join(root, 'whole'))).mode & 0o777, 0o444);
  assert.equal(await readFile(join(root, 'whole'), 'utf8'), 'whole file\n');
  assert.deepEqual(await readdir(join(root, 'tmp')), []);
  assert.deepEqual((await readdir(root)).sort(), ['tmp', 'top', 'whole', 'x']);
});

test('a missing directory is a permanent error naming it, and is never created', async (t) => {
  const root = join(await tempDir(t), 'unmounted');
  const store = new DirectoryStore(root);
  const missing = (err: unknown) => err instanceof StorePermanentError && err.message.includes(`${root} does not exist: is the drive mounted?`);
  await assert.rejects(store.put('a/obj', { bytes: bytes(2, 10) }), missing);
  await assert.rejects(store.get('a/obj'), missing);
  await assert.rejects(store.stat('a/obj'), missing);
  await assert.rejects(store.delete('a/obj'), missing);
  await assert.rejects(async () => {
    for await (const _ of store.list('')) assert.fail('listed something');
  }, missing);
  await assert.rejects(stat(root), { code: 'ENOENT' });
});

test('names under tmp/ and names that are not plain relative paths are refused', async (t) => {
  const store = new DirectoryStore(await tempDir(t));
  for (const name of ['tmp', 'tmp/x', '', '/abs', 'a//b', '../up', 'a/./b', 'a/', 'nul\0']) {
    await assert.rejects(store.put(name, { bytes: bytes(3, 1) }), StorePermanentError, JSON.stringify(name));
    await assert.rejects(store.stat(name), StorePermanentError, JSON.stringify(name));
  }
});

test('delete removes parents it emptied, not ROOT, and works in read-only key dirs as git-annex makes them', async (t) => {
  const root = await tempDir(t);
  const store = new DirectoryStore(root);
  await store.put('aa/bb/KEY/KEY', { bytes: bytes(4, 100) });
  await store.put('aa/cc/KEY2/KEY2', { bytes: bytes(5, 100) });
  await chmod(join(root, 'aa/bb/KEY'), 0o555);
  await store.delete('aa/bb/KEY/KEY');
  assert.deepEqual((await readdir(join(root, 'aa'))).sort(), ['cc']);
  await store.delete('aa/cc/KEY2/KEY2');
  assert.deepEqual((await readdir(root)).sort(), ['tmp']);
  await store.delete('aa/cc/KEY2/KEY2');
  assert.equal(await store.stat('aa/cc/KEY2/KEY2'), undefined);
});

test('as an ordinary user: delete makes read-only key dirs writable, an unwritable ROOT is a permanent error', async (t) => {
  const parent = await tempDir(t);
  const root = join(parent, 'remote');
  const store = new DirectoryStore(root);
  await mkdir(root);
  await store.put('aa/bb/KEY/KEY', { bytes: bytes(4, 100) });
  await chmod(join(root, 'aa/bb/KEY'), 0o555);
  await mkdir(join(parent, 'locked'), 0o555);
  const asUser = (...args: string[]) => {
    const user = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const r = spawnSync(process.execPath, [child, ...args], { ...user, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { ok?: true; code?: string; message?: string };
  };
  if (process.getuid?.() === 0) {
    await chmod(parent, 0o755);
    spawnSync('chown', ['-R', '65534:65534', root]);
  }
  assert.deepEqual(asUser('delete', root, 'aa/bb/KEY/KEY'), { ok: true });
  assert.deepEqual(await readdir(root), ['tmp']);
  const refused = asUser('put', join(parent, 'locked'), 'obj');
  assert.equal(refused.code, 'StorePermanentError');
  assert.match(refused.message!, /permission denied/);
});

test('puts racing deletes that empty their parent directory all land', async (t) => {
  const store = new DirectoryStore(await tempDir(t));
  await store.put('s/k/obj0', { bytes: bytes(6, 10) });
  // The delete starts a varying number of event-loop turns after the put, so that across rounds its rmdir
  // lands at every step of the put, including between the put's mkdir and its rename.
  const deleteLater = async (name: string, turns: number) => {
    for (let i = 0; i < turns; i++) await nextTurn();
    await store.delete(name);
  };
  for (let i = 1; i <= 200; i++) {
    await Promise.all([store.put(`s/k/obj${i}`, { bytes: bytes(6 + i, 10) }), deleteLater(`s/k/obj${i - 1}`, i % 20)]);
    assert.equal((await store.stat(`s/k/obj${i}`))?.size, 10, `round ${i}`);
  }
});

test('flush fsyncs each file put and each directory changed, and tolerates objects deleted since', async (t) => {
  const root = await tempDir(t);
  const trace = join(await tempDir(t), 'trace');
  const r = await start(root, process.execPath, [child, 'put-flush', root], { env: { FERRY_TEST_TRACE: trace } }).done;
  assert.equal(r.stdout, 'flushed\n');
  // 3 files; directories a/b (two renames), a and ROOT (mkdirs of a/b), c (rename) and ROOT (mkdir of c).
  assert.deepEqual((await readFile(trace, 'utf8')).split('\n').filter((l) => l.startsWith('sync')), ['sync fsync 7']);
  const store = new DirectoryStore(root);
  await store.put('p/q/obj', { bytes: bytes(7, 10) });
  await store.delete('p/q/obj');
  await store.flush();
  assert.equal(await store.stat('p/q/obj'), undefined);
});

test('kill -9 during a big put leaves no object, only a temp file, which a later store removes once stale', async (t) => {
  const root = await tempDir(t);
  const run = start(root, process.execPath, [child, 'put-stall', root, 'big/obj'], { expect: [] });
  await new Promise<void>((resolve, reject) => {
    run.child.stdout!.on('data', (b: Buffer) => { if (b.toString().includes('streaming')) resolve(); });
    run.child.on('exit', () => reject(new Error('the child ended before streaming')));
  });
  run.child.kill('SIGKILL');
  await run.done;
  const store = new DirectoryStore(root);
  assert.equal(await store.stat('big/obj'), undefined);
  await assert.rejects(store.get('big/obj'), StoreNotFoundError);
  for await (const e of store.list('')) assert.fail(`listed ${e.name}`);
  const temps = await readdir(join(root, 'tmp'));
  assert.equal(temps.length, 1);
  assert.match(temps[0]!, /^ferry-[0-9a-f]{16}\.part$/);
  assert.ok((await stat(join(root, 'tmp', temps[0]!))).size >= 6 << 20);

  const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
  await utimes(join(root, 'tmp', temps[0]!), twoDaysAgo, twoDaysAgo);
  await mkdir(join(root, 'tmp', 'KEY-of-git-annex'));
  await writeFile(join(root, 'tmp', 'KEY-of-git-annex', 'KEY-of-git-annex'), 'partial');
  await utimes(join(root, 'tmp', 'KEY-of-git-annex', 'KEY-of-git-annex'), twoDaysAgo, twoDaysAgo);
  await store.put('big/obj', { bytes: bytes(8, 10) });
  assert.deepEqual(await readdir(join(root, 'tmp')), ['KEY-of-git-annex'], "only ferry's own stale temp files are removed");
});
