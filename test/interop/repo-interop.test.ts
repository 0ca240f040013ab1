// Repositories ferry writes, read and worked on by real git-annex 10.20230126: after `ferry add` and a plain
// `git commit`, git-annex's fsck, calckey, whereis and info must agree with ferry, and git-annex's own
// unlock, lock, drop and get (and a git-annex clone's get) must work in the ferry repository.
import assert from 'node:assert/strict';
import { lstat, readFile, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { bytes, makeRepo } from '../helpers/repo.js';
import type { Tree } from '../helpers/repo.js';
import { ferry, git, gitAnnex, jsonLines } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { byFile, copiesOf, ferryKeys, gitText, infoFields, infoJson, uuidOf, whereisJson } from './repo-checks.js';

const LOCKED: Tree = {
  'a.txt': 'hello world\n',
  'with space.txt': 'a name with spaces\n',
  'ünï cödé/naïve ファイル.txt': 'a non-ASCII name\n',
  'empty': '',
  'dir/sub/deep/nested.bin': bytes(1, 4096),
  'big.bin': bytes(2, 3_000_000),
};
const DOTFILE: Tree = { '.dotfile': 'dotfiles go to git\n' };
const UNLOCKED: Tree = {
  'u space.dat': 'unlocked content\n',
  'unlocked/ü nested/ü.txt': 'unlocked, non-ASCII name\n',
  'unlocked/empty.dat': '',
};

const sorted = (xs: Iterable<string>) => [...xs].sort();

async function status(dir: string): Promise<string> {
  return (await git(dir, ['status', '--porcelain', '--untracked-files=all'])).stdout;
}

/** `git annex calckey` of every file, in one process (it prints one key per file, in order). */
async function annexCalckeys(dir: string, files: readonly string[]): Promise<Map<string, string>> {
  const keys = (await gitAnnex(dir, ['calckey', ...files])).stdout.split('\n');
  return new Map(files.map((f, i) => [f, keys[i] ?? '']));
}

/** git-annex's fsck, whereis, calckey and info over a ferry repository whose files are `tree`. */
async function checkWithGitAnnex(dir: string, tree: Tree, description: string): Promise<void> {
  const files = Object.keys(tree);
  const keys = await ferryKeys(dir);
  assert.deepEqual(sorted(keys.keys()), sorted(files), 'ferry whereis lists every annexed file');

  const fsck = jsonLines((await gitAnnex(dir, ['fsck', '--json'])).stdout);
  assert.deepEqual(sorted(fsck.map((r) => String(r.file))), sorted(files));
  for (const r of fsck) {
    assert.equal(r.success, true, `git annex fsck ${String(r.file)}`);
    assert.equal(r.key, keys.get(String(r.file)), `git annex fsck's key of ${String(r.file)}`);
  }

  assert.deepEqual(await annexCalckeys(dir, files), new Map(files.map((f) => [f, keys.get(f)])), 'git annex calckey');

  const uuid = await uuidOf(dir);
  const where = byFile(await whereisJson('git-annex', dir));
  for (const f of files) {
    assert.equal(where.get(f)?.key, keys.get(f), `git annex whereis ${f}: key`);
    assert.deepEqual(copiesOf(where.get(f)), [{ uuid, description, here: true }], `git annex whereis ${f}`);
  }

  const [theirs] = await infoJson('git-annex', dir);
  const [ours] = await infoJson('ferry', dir);
  const unique = new Set(keys.values());
  assert.equal(theirs?.['annexed files in working tree'], files.length);
  assert.equal(theirs?.['local annex keys'], unique.size);
  assert.deepEqual(theirs?.['backend usage'], { SHA256E: files.length });
  assert.ok((theirs?.['semitrusted repositories'] as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ description, here: true, uuid })));
  assert.deepEqual(infoFields(ours), infoFields(theirs), 'ferry info --json and git annex info --json');
}

test('ferry add (locked files, a dotfile) + git commit: git-annex fsck, calckey, whereis and info agree', async (t) => {
  const description = 'ferry wrote this';
  const dir = await makeRepo(t, { description, files: { ...LOCKED, ...DOTFILE } });
  const added = jsonLines((await ferry(dir, ['add', '--json'])).stdout);
  assert.deepEqual(sorted(added.map((r) => String(r.file))), sorted(Object.keys({ ...LOCKED, ...DOTFILE })));
  assert.ok(added.every((r) => r.success === true), 'every add succeeded');
  const dot = added.find((r) => r.file === '.dotfile')!;
  assert.equal(dot.key, undefined, 'the dotfile is not annexed');
  await git(dir, ['commit', '-q', '-m', 'ferry add']);
  assert.equal(await status(dir), '');

  assert.equal((await git(dir, ['cat-file', '-p', 'HEAD:.dotfile'])).stdout, DOTFILE['.dotfile'], 'the dotfile is in git');
  for (const f of Object.keys(LOCKED)) {
    assert.ok((await lstat(join(dir, f))).isSymbolicLink(), `${f} is a symlink`);
    assert.deepEqual(await readFile(join(dir, f)), Buffer.from(LOCKED[f]!), `${f} reads as its content`);
  }
  const keys = await ferryKeys(dir);
  for (const r of added.filter((r) => r.key !== undefined)) assert.equal(r.key, keys.get(String(r.file)), `add's key of ${String(r.file)}`);

  await checkWithGitAnnex(dir, LOCKED, description);
});

test('ferry add --unlocked + git commit: git status stays clean through ferry\'s filter, git-annex reads the pointers', async (t) => {
  const description = 'ferry unlocked';
  const dir = await makeRepo(t, { description, files: UNLOCKED });
  const added = jsonLines((await ferry(dir, ['add', '--unlocked', '--json'])).stdout);
  assert.deepEqual(sorted(added.filter((r) => r.success === true).map((r) => String(r.file))), sorted(Object.keys(UNLOCKED)));
  await git(dir, ['commit', '-q', '-m', 'ferry add --unlocked']);
  assert.equal(await status(dir), '');

  const keys = await ferryKeys(dir);
  for (const f of Object.keys(UNLOCKED)) {
    const st = await lstat(join(dir, f));
    assert.ok(st.isFile() && (st.mode & 0o200) !== 0, `${f} is a writable file`);
    assert.deepEqual(await readFile(join(dir, f)), Buffer.from(UNLOCKED[f]!));
    assert.equal((await git(dir, ['cat-file', '-p', `HEAD:${f}`])).stdout, `/annex/objects/${keys.get(f)}\n`, `${f} is a pointer in git`);
  }

  // New mtimes make git run the clean filter (ferry's, from the repository's config) on every file again.
  const later = new Date(Date.now() + 60_000);
  for (const f of Object.keys(UNLOCKED)) await utimes(join(dir, f), later, later);
  assert.equal(await status(dir), '', 'git status after the files were touched');
  await git(dir, ['add', '-u']);
  assert.equal((await git(dir, ['diff', '--cached', '--name-only'])).stdout, '', 'git add -u stages nothing new');

  await checkWithGitAnnex(dir, UNLOCKED, description);

  // git-annex locks and unlocks ferry's unlocked file; git status is clean once it is unlocked again.
  await gitAnnex(dir, ['lock', '--quiet', 'u space.dat']);
  assert.ok((await lstat(join(dir, 'u space.dat'))).isSymbolicLink());
  await gitAnnex(dir, ['unlock', '--quiet', 'u space.dat']);
  assert.ok((await lstat(join(dir, 'u space.dat'))).isFile());
  assert.equal(await status(dir), '');
  await ferry(dir, ['fsck']);
});

test('git-annex unlock, lock, drop --force and get work in a ferry repository; a git-annex clone gets from it', async (t) => {
  const files: Tree = { 'a.txt': 'alpha\n', 'sub dir/b.bin': bytes(3, 100_000), 'ç d.txt': 'gamma\n' };
  const dir = await makeRepo(t, { description: 'ferry origin', files });
  await ferry(dir, ['add']);
  await git(dir, ['commit', '-q', '-m', 'ferry add']);
  const here = await uuidOf(dir);
  const content = async (root: string, f: string) => readFile(join(root, f));

  await gitAnnex(dir, ['unlock', '--quiet', 'a.txt']);
  const st = await lstat(join(dir, 'a.txt'));
  assert.ok(st.isFile() && (st.mode & 0o200) !== 0, 'git annex unlock made a writable file');
  assert.deepEqual(await content(dir, 'a.txt'), Buffer.from(files['a.txt']!));
  await ferry(dir, ['fsck']);
  await gitAnnex(dir, ['lock', '--quiet', 'a.txt']);
  assert.ok((await lstat(join(dir, 'a.txt'))).isSymbolicLink(), 'git annex lock made a symlink again');
  assert.equal(await status(dir), '');

  // A git-annex clone gets every file from the ferry repository.
  const clone = join(await tempDir(t), 'clone');
  await git(dir, ['clone', '-q', dir, clone]);
  await gitAnnex(clone, ['init', '-q', 'annex clone']);
  const got = jsonLines((await gitAnnex(clone, ['get', '--json', '.'])).stdout);
  assert.deepEqual(sorted(got.filter((r) => r.success === true).map((r) => String(r.file))), sorted(Object.keys(files)));
  for (const f of Object.keys(files)) assert.deepEqual(await content(clone, f), Buffer.from(files[f]!), `the clone's ${f}`);
  const cloneUuid = await uuidOf(clone);

  // Back in the ferry repository, git-annex drops content and gets it again from the clone.
  await git(dir, ['remote', 'add', 'annexclone', clone]);
  await git(dir, ['fetch', '-q', 'annexclone']);
  const dropped = ['a.txt', 'sub dir/b.bin'];
  await gitAnnex(dir, ['drop', '--force', '--quiet', ...dropped]);
  assert.equal((await ferry(dir, ['find'])).stdout, 'ç d.txt\n', 'ferry find lists only the content left here');
  const afterDrop = byFile(await whereisJson('ferry', dir));
  for (const f of dropped) assert.deepEqual(copiesOf(afterDrop.get(f)).map((c) => c.uuid), [cloneUuid], `ferry whereis ${f} after the drop`);
  await gitAnnex(dir, ['get', '--quiet', ...dropped]);
  for (const f of Object.keys(files)) assert.deepEqual(await content(dir, f), Buffer.from(files[f]!), `${f} after git annex get`);
  await ferry(dir, ['fsck']);
  const after = byFile(await whereisJson('ferry', dir));
  for (const f of Object.keys(files)) assert.deepEqual(copiesOf(after.get(f)).map((c) => c.uuid), sorted([here, cloneUuid]), `ferry whereis ${f}`);
  assert.equal(await gitText(dir, ['status', '--porcelain']), '');
});
