// Hostile storage, one case at a time: an object bit-flipped, truncated, swapped with another's, a chunk
// missing, a chunk log claiming chunks that are not there, a wrong cipher. Each get fails with an error
// naming the remote and the key (or file), puts nothing in the object store, and once the damage is undone
// (or a good layout exists) the next get succeeds.
import assert from 'node:assert/strict';
import { chmod, copyFile, mkdir, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { bytes, makeRepo } from '../../helpers/repo.js';
import { ferry, git } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';

const CHUNK = 64 * 1024;

interface Setup {
  readonly repo: string;
  readonly store: string;
  /** The store's object files, by name (directory remote: hashdir/KEY/KEY). */
  files(): Promise<string[]>;
}

async function setup(t: { after(fn: () => unknown): void }, encryption: string, chunked: boolean): Promise<Setup> {
  const repo = await makeRepo(t, { files: { 'a.bin': bytes(1, 3 * CHUNK - 5), 'b.bin': bytes(2, 3 * CHUNK - 5) } });
  await ferry(repo, ['add', '.']);
  await git(repo, ['commit', '-q', '-m', 'add']);
  const store = join(await tempDir(t), 'store');
  await mkdir(store);
  await ferry(repo, ['initremote', 'cloud', 'type=directory', `directory=${store}`, `encryption=${encryption}`, ...(chunked ? [`chunk=${CHUNK}`] : [])]);
  await ferry(repo, ['copy', '--to', 'cloud', '.']);
  await ferry(repo, ['drop', '.']);
  const files = async () => (await readdir(store, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name)).sort();
  return { repo, store, files };
}

/** The key a locked file's symlink names. */
async function keyOf(repo: string, file: string): Promise<string> {
  return basename((await git(repo, ['cat-file', 'blob', `:${file}`])).stdout.trim());
}

async function expectGetFails(s: Setup, file: string, pattern: RegExp): Promise<void> {
  const r = await ferry(s.repo, ['get', file], { expect: [1] });
  const text = r.stdout + r.stderr;
  assert.match(text, /cloud/, `names the remote: ${text}`);
  assert.match(text, pattern, text);
  assert.equal((await ferry(s.repo, ['find', file])).stdout, '', 'nothing entered the object store');
}

async function editable(path: string): Promise<void> {
  await chmod(path, 0o644);
}

/** `spoil` damages `object` in the store: a get of a.bin is refused, and once it is restored the get succeeds. */
async function refusedUntilRestored(s: Setup, object: string, spoil: (good: Buffer) => Promise<void>): Promise<void> {
  const good = await readFile(object);
  await editable(object);
  await spoil(good);
  await expectGetFails(s, 'a.bin', /does not match its key/);
  await writeFile(object, good);
  await ferry(s.repo, ['get', 'a.bin']);
}

test('a bit-flipped object is refused, and the repaired one is accepted', async (t) => {
  const s = await setup(t, 'none', false);
  const key = await keyOf(s.repo, 'a.bin');
  const object = (await s.files()).find((f) => f.endsWith(key))!;
  await refusedUntilRestored(s, object, async (good) => {
    const bad = Buffer.from(good);
    bad[1000]! ^= 0x20;
    await writeFile(object, bad);
  });
});

test('a truncated chunk is refused', async (t) => {
  const s = await setup(t, 'none', true);
  const key = await keyOf(s.repo, 'a.bin');
  const c2 = (await s.files()).find((f) => f.endsWith(key.replace('--', `-S${CHUNK}-C2--`)))!;
  await refusedUntilRestored(s, c2, () => truncate(c2, 1000));
});

test("another key's object in its place is refused", async (t) => {
  const s = await setup(t, 'none', false);
  const [a, b] = [await keyOf(s.repo, 'a.bin'), await keyOf(s.repo, 'b.bin')];
  const files = await s.files();
  const objectA = files.find((f) => f.endsWith(a))!;
  const objectB = files.find((f) => f.endsWith(b))!;
  await refusedUntilRestored(s, objectA, () => copyFile(objectB, objectA));
});

test('a bit-flipped encrypted chunk fails its integrity check', async (t) => {
  const s = await setup(t, 'shared', true);
  for (const object of await s.files()) {
    const bad = await readFile(object);
    bad[bad.length - 30]! ^= 0x01;
    await editable(object);
    await writeFile(object, bad);
  }
  const r = await ferry(s.repo, ['get', 'a.bin'], { expect: [1] });
  assert.match(r.stdout + r.stderr, /cloud: reading .*GPG|cloud: reading SHA256E/, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /modification detection code|altered/);
  assert.equal((await ferry(s.repo, ['find', 'a.bin'])).stdout, '');
});

test('a missing chunk is named, and the key is fetched once the chunk is back', async (t) => {
  const s = await setup(t, 'none', true);
  const key = await keyOf(s.repo, 'a.bin');
  const c2 = (await s.files()).find((f) => f.endsWith(key.replace('--', `-S${CHUNK}-C2--`)))!;
  const good = await readFile(c2);
  await rm(c2, { force: true });
  await expectGetFails(s, 'a.bin', /only part of .*C2/);
  await writeFile(c2, good);
  await ferry(s.repo, ['get', 'a.bin']);
});

test('a chunk log that claims more chunks than there are does not stop a get', async (t) => {
  const s = await setup(t, 'none', true);
  const key = await keyOf(s.repo, 'a.bin');
  // The journal wins over the branch: a chunk log saying 5 chunks where 3 are stored.
  const logPath = (await git(s.repo, ['annex', 'examinekey', '--format=${hashdirlower}${key}.log.cnk', key])).stdout.trim();
  const uuid = (await git(s.repo, ['config', 'remote.cloud.annex-uuid'])).stdout.trim();
  const journal = join(s.repo, '.git', 'annex', 'journal');
  await mkdir(journal, { recursive: true });
  await writeFile(join(journal, logPath.replaceAll('/', '_')), `1900000000.000000000s ${uuid}:${CHUNK} 5\n`);
  const r = await ferry(s.repo, ['get', 'a.bin']);
  assert.match(r.stdout, /get a\.bin .*ok/);
  await ferry(s.repo, ['fsck', 'a.bin']);
});

test('a wrong cipher finds nothing and says so', async (t) => {
  const s = await setup(t, 'shared', false);
  const log = (await git(s.repo, ['show', 'git-annex:remote.log'])).stdout;
  const other = Buffer.alloc(685, 'A');
  other[684] = 0x0a;
  const swapped = log.replace(/cipher=[^ ]+/, `cipher=${other.toString('base64')}`);
  const journal = join(s.repo, '.git', 'annex', 'journal');
  await mkdir(journal, { recursive: true });
  await writeFile(join(journal, 'remote.log'), swapped);
  const r = await ferry(s.repo, ['get', 'a.bin'], { expect: [1] });
  assert.match(r.stdout + r.stderr, /cloud does not have the content of SHA256E/);
  assert.doesNotMatch(r.stdout + r.stderr, new RegExp(other.toString('base64').slice(0, 40)), 'the cipher is never printed');
});
