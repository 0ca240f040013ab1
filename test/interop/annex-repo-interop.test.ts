// Repositories real git-annex 10.20230126 writes, read by ferry: after `git annex add` (locked and unlocked)
// and a commit, ferry's whereis, fsck, info and find must say what git-annex's own commands say, field by
// field, before and after git-annex drops the only copy of a file.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytes, makeRepo, writeTree } from '../helpers/repo.js';
import type { Tree } from '../helpers/repo.js';
import { ferry, git, gitAnnex, jsonLines } from '../helpers/run.js';
import { infoFields, infoJson, tools, uuidOf, whereisJson } from './repo-checks.js';
import type { JsonRecord, Tool } from './repo-checks.js';

const LOCKED: Tree = {
  'a.txt': 'hello world\n',
  'with space.txt': 'a name with spaces\n',
  'ünï cödé/naïve ファイル.txt': 'a non-ASCII name\n',
  'empty': '',
  'dir/sub/deep/nested.bin': bytes(11, 4096),
  'big.bin': bytes(12, 3_000_000),
  '.dotfile': 'dotfiles go to git\n',
};
const UNLOCKED: Tree = {
  'u space.dat': 'unlocked content\n',
  'unlocked/ü nested/ü.txt': 'unlocked, non-ASCII name\n',
  'unlocked/empty.dat': '',
};
const ANNEXED = [...Object.keys(LOCKED), ...Object.keys(UNLOCKED)].filter((f) => f !== '.dotfile');

async function fsckJson(tool: Tool, dir: string, args: readonly string[], expect: number): Promise<JsonRecord[]> {
  return jsonLines((await tools[tool](dir, ['fsck', '--json', ...args], { expect: [expect] })).stdout);
}

async function findOutput(tool: Tool, dir: string, args: readonly string[] = []): Promise<string> {
  return (await tools[tool](dir, ['find', ...args])).stdout;
}

/** Sizes are compared in their own test below; here they would hide everything after the first difference. */
const withoutHumanSize = (records: JsonRecord[]) => records.map(({ humansize: _h, ...rest }) => rest);

/** ferry's and git-annex's whereis, find, info and info FILE agree, record for record. */
async function assertQueriesAgree(dir: string, expectWhereisFailure: boolean): Promise<void> {
  const theirs = await whereisJson('git-annex', dir);
  assert.equal(theirs.length, ANNEXED.length);
  assert.equal(theirs.some((r) => r.success === false), expectWhereisFailure);
  assert.deepEqual(await whereisJson('ferry', dir), theirs, 'whereis --json');
  assert.equal(await findOutput('ferry', dir), await findOutput('git-annex', dir), 'find');
  assert.deepEqual(
    withoutHumanSize(jsonLines(await findOutput('ferry', dir, ['--json']))),
    withoutHumanSize(jsonLines(await findOutput('git-annex', dir, ['--json']))), 'find --json');
  assert.deepEqual(infoFields((await infoJson('ferry', dir))[0]), infoFields((await infoJson('git-annex', dir))[0]), 'info --json');
  // With PATHs, both list files argument by argument, each file once.
  const args = ['u space.dat', 'dir/sub', 'a.txt', 'dir'];
  assert.deepEqual(await whereisJson('ferry', dir, args), await whereisJson('git-annex', dir, args), 'whereis --json PATH...');
  assert.equal(await findOutput('ferry', dir, args), await findOutput('git-annex', dir, args), 'find PATH...');
  const some = ['u space.dat', 'empty', 'ünï cödé/naïve ファイル.txt'];
  assert.deepEqual(await infoJson('ferry', dir, some), await infoJson('git-annex', dir, some), 'info --json FILE...');
}

test('git-annex add (locked, unlocked) + commit: ferry whereis, fsck, info and find agree with git-annex', async (t) => {
  const description = 'annex wrote this';
  const dir = await makeRepo(t, { init: 'git-annex', description, files: LOCKED });
  await gitAnnex(dir, ['add', '--quiet', '.']);
  await writeTree(dir, UNLOCKED);
  // This git-annex has no `add --unlocked`; annex.addunlocked is its way.
  await git(dir, ['-c', 'annex.addunlocked=true', 'annex', 'add', '--quiet', ...Object.keys(UNLOCKED)]);
  await git(dir, ['commit', '-q', '-m', 'git annex add']);
  assert.equal((await git(dir, ['status', '--porcelain'])).stdout, '');
  assert.equal((await git(dir, ['cat-file', '-p', 'HEAD:.dotfile'])).stdout, LOCKED['.dotfile'], 'the dotfile is in git');

  const uuid = await uuidOf(dir);
  const where = await whereisJson('ferry', dir);
  assert.deepEqual(where.map((r) => String(r.file)).sort(), [...ANNEXED].sort());
  for (const r of where) assert.deepEqual(r.whereis, [{ description, here: true, urls: [], uuid }], `ferry whereis ${String(r.file)}`);
  await assertQueriesAgree(dir, false);

  const ours = await fsckJson('ferry', dir, [], 0);
  assert.deepEqual(ours, await fsckJson('git-annex', dir, [], 0), 'fsck --json');
  assert.ok(ours.every((r) => r.success === true && r.note === 'checksum...'));
  const fast = ['--fast', 'with space.txt', 'a.txt'];
  assert.deepEqual(await fsckJson('ferry', dir, fast, 0), await fsckJson('git-annex', dir, fast, 0), 'fsck --fast --json PATH...');

  // git-annex drops the only copy of one file: both tools now report it missing.
  const gone = 'dir/sub/deep/nested.bin';
  await gitAnnex(dir, ['drop', '--force', '--quiet', gone]);
  await assertQueriesAgree(dir, true);
  assert.ok(!(await findOutput('ferry', dir)).includes(gone));
  const [ourFsck] = await fsckJson('ferry', dir, [gone], 1);
  const [theirFsck] = await fsckJson('git-annex', dir, [gone], 1);
  const same = (r: JsonRecord | undefined) => ({ file: r?.file, key: r?.key, success: r?.success, input: r?.input });
  assert.deepEqual(same(ourFsck), same(theirFsck), 'fsck of a file with no copy');
  const missing = await ferry(dir, ['fsck', gone], { expect: [1] });
  assert.match(missing.stderr, /No known copies exist of dir\/sub\/deep\/nested\.bin/);
});

test('sizes are printed as git-annex prints them (examinekey humansize, info FILE size)', async (t) => {
  const sizes = [0, 1, 999, 1000, 1049, 1994, 4096, 12345, 99999, 999999, 1000000, 1234567, 3000000, 85340000000];
  const dir = await makeRepo(t, { init: 'git-annex', files: Object.fromEntries(sizes.slice(0, 12).map((n) => [`f${n}`, Buffer.alloc(n)])) });
  const keys = sizes.map((n) => `SHA256E-s${n}--${'0'.repeat(64)}`);
  const format = ['examinekey', '--format=${humansize}\\n', ...keys];
  const ours = (await ferry(dir, format)).stdout.split('\n');
  const theirs = (await gitAnnex(dir, format)).stdout.split('\n');
  assert.deepEqual(new Map(sizes.map((n, i) => [n, ours[i]])), new Map(sizes.map((n, i) => [n, theirs[i]])), 'examinekey ${humansize}');

  await gitAnnex(dir, ['add', '--quiet', '.']);
  const files = sizes.slice(0, 12).map((n) => `f${n}`);
  const size = (records: JsonRecord[]) => new Map(records.map((r) => [r.file, r.size]));
  assert.deepEqual(size(await infoJson('ferry', dir, files)), size(await infoJson('git-annex', dir, files)), 'info --json FILE: size');
});
