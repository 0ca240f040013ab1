import assert from 'node:assert/strict';
import { appendFile, lstat, mkdir, readFile, readdir, readlink, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { distBin } from '../helpers/env.js';
import { makeRepo } from '../helpers/repo.js';
import { ferry, git, gitAnnex, jsonLines, start } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { readTrace, waitUntilStopped } from '../helpers/trace.js';

test('each batch is durable before the branch records it, and recorded before it is staged', async (t) => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 7; i++) files[`d${i % 2}/f${i}.txt`] = `file ${i}\n`;
  const dir = await makeRepo(t, { files });
  const traceFile = join(await tempDir(t), 'trace');
  await ferry(dir, ['add', '.'], { env: { FERRY_TEST_TRACE: traceFile, FERRY_TEST_ADD_BATCH: '3' } });
  const events = (await readTrace(traceFile)).map((e) => e.event);
  // Three batches (3 + 3 + 1 files). Batches overlap (one is hashed while the previous one commits), but
  // within batch k: its objects come before its flush, the flush before its branch commit, that before
  // its staging; and batch k's flush never comes before all objects of batches 1..k are placed.
  const sizes = [3, 3, 1];
  const nth = (event: string, k: number) => events.reduce<number[]>((at, e, i) => (e === event ? [...at, i] : at), [])[k]!;
  let placedBefore = 0;
  for (let k = 0; k < sizes.length; k++) {
    placedBefore += sizes[k]!;
    const sync = nth('sync', k);
    assert.ok(events.slice(0, sync).filter((e) => e === 'object').length >= placedBefore, `batch ${k + 1}'s objects before its flush`);
    assert.ok(sync < nth('branch-commit', k), `batch ${k + 1} is durable before the branch records it`);
    assert.ok(nth('branch-commit', k) < nth('stage', k), `batch ${k + 1} is recorded before it is staged`);
  }
  assert.equal(events.filter((e) => e === 'object').length, 7);
  assert.equal(events.filter((e) => e === 'branch-commit').length, 3);
  await git(dir, ['commit', '-q', '-m', 'add']);
  await gitAnnex(dir, ['fsck', '--quiet']);
});

test('a file that changes while it is added is left as it is and nothing is recorded for it', async (t) => {
  const dir = await makeRepo(t, { files: { 'busy.log': 'first\n' } });
  const before = (await stat(join(dir, 'busy.log'))).mode;
  const add = start(dir, 'ferry', ['add', '--json', 'busy.log'], { env: { FERRY_TEST_STOP: 'hashed:1' }, expect: [1] });
  await waitUntilStopped(add.child.pid!);
  await appendFile(join(dir, 'busy.log'), 'second\n');
  add.child.kill('SIGCONT');
  const result = await add.done;
  assert.equal(result.code, 1);
  const [record] = jsonLines(result.stdout);
  assert.equal(record?.success, false);
  assert.match(String((record?.['error-messages'] as string[])[0]), /busy\.log changed while it was being hashed/);
  assert.ok((await lstat(join(dir, 'busy.log'))).isFile(), 'still an ordinary file');
  assert.equal(await readFile(join(dir, 'busy.log'), 'utf8'), 'first\nsecond\n');
  assert.equal((await stat(join(dir, 'busy.log'))).mode, before, 'its mode is restored');
  assert.equal((await git(dir, ['ls-files', 'busy.log'])).stdout, '', 'not staged');
  const objects = await readdir(join(dir, '.git/annex/objects'), { recursive: true }).catch(() => []);
  assert.deepEqual(objects.filter((p) => p.split('/').length > 2), [], 'no object kept (empty hash directories may stay, as with git-annex)');
  assert.equal((await git(dir, ['ls-tree', '-r', '--name-only', 'git-annex'])).stdout, 'uuid.log\n', 'no location log');
  // The next add picks the file up with its new content.
  await ferry(dir, ['add', 'busy.log']);
  await git(dir, ['commit', '-q', '-m', 'add']);
  assert.equal(await readFile(join(dir, 'busy.log'), 'utf8'), 'first\nsecond\n');
  await gitAnnex(dir, ['fsck', '--quiet']);
});

test('unlocked files stay ordinary files; git sees pointers and a clean status', async (t) => {
  const dir = await makeRepo(t, { files: { 'u.bin': 'unlocked content\n', 'sub/v.txt': 'more\n' } });
  await ferry(dir, ['add', '--unlocked', '.']);
  await git(dir, ['commit', '-q', '-m', 'add']);
  const st = await lstat(join(dir, 'u.bin'));
  assert.ok(st.isFile());
  assert.ok(st.mode & 0o200, 'writable');
  assert.equal(await readFile(join(dir, 'u.bin'), 'utf8'), 'unlocked content\n');
  const blob = (await git(dir, ['cat-file', '-p', 'HEAD:u.bin'])).stdout;
  assert.match(blob, /^\/annex\/objects\/SHA256E-s17--[0-9a-f]{64}\.bin\n$/);
  assert.equal((await git(dir, ['status', '--porcelain'])).stdout, '');
  await gitAnnex(dir, ['fsck', '--quiet']);

  // Editing it and `git add` (plain git, through ferry's filter) annexes the new content.
  await writeFile(join(dir, 'u.bin'), 'edited\n');
  await git(dir, ['add', 'u.bin']);
  await git(dir, ['commit', '-q', '-m', 'edit']);
  const edited = (await git(dir, ['cat-file', '-p', 'HEAD:u.bin'])).stdout;
  assert.match(edited, /^\/annex\/objects\/SHA256E-s7--/);
  assert.equal((await git(dir, ['status', '--porcelain'])).stdout, '');
  await gitAnnex(dir, ['fsck', '--quiet']);
  const found = jsonLines((await ferry(dir, ['find', '--json'])).stdout).map((r) => r.file);
  assert.deepEqual(found, ['sub/v.txt', 'u.bin']);
});

test('annex.largefiles and dotfiles send small files to git, in ferry add and in plain git add', async (t) => {
  const dir = await makeRepo(t, { files: { 'big.dat': 'x'.repeat(2000), 'small.txt': 'tiny\n', '.config': 'dot\n' } });
  await git(dir, ['config', 'annex.largefiles', 'largerthan=1kb']);
  const out = jsonLines((await ferry(dir, ['add', '--json', '.'])).stdout);
  const byFile = new Map(out.map((r) => [r.file, r]));
  assert.ok(byFile.get('big.dat')?.key);
  assert.equal(byFile.get('small.txt')?.note, 'non-large file; adding content to git repository');
  assert.equal(byFile.get('.config')?.note, 'non-large file; adding content to git repository');
  await git(dir, ['commit', '-q', '-m', 'add']);
  assert.equal((await git(dir, ['cat-file', '-p', 'HEAD:small.txt'])).stdout, 'tiny\n');
  assert.equal((await git(dir, ['ls-tree', 'HEAD', 'big.dat'])).stdout.split(' ')[0], '120000');

  await writeFile(join(dir, 'later.dat'), 'y'.repeat(3000));
  await writeFile(join(dir, 'later.txt'), 'small again\n');
  await git(dir, ['add', 'later.dat', 'later.txt']);
  await git(dir, ['commit', '-q', '-m', 'plain git add']);
  assert.match((await git(dir, ['cat-file', '-p', 'HEAD:later.dat'])).stdout, /^\/annex\/objects\//);
  assert.equal((await git(dir, ['cat-file', '-p', 'HEAD:later.txt'])).stdout, 'small again\n');
  await gitAnnex(dir, ['fsck', '--quiet']);
});

test('a locked file moved to another directory with git mv is fixed by the pre-commit hook', async (t) => {
  const dir = await makeRepo(t, { files: { 'top.txt': 'moving\n' } });
  await ferry(dir, ['add', 'top.txt']);
  await git(dir, ['commit', '-q', '-m', 'add']);
  await mkdir(join(dir, 'deep/er'), { recursive: true });
  await git(dir, ['mv', 'top.txt', 'deep/er/moved.txt']);
  await git(dir, ['commit', '-q', '-m', 'move']);
  const moved = join(dir, 'deep/er/moved.txt');
  assert.equal(await readFile(moved, 'utf8'), 'moving\n');
  assert.match(await readlink(moved), /^\.\.\/\.\.\/\.git\/annex\/objects\//);
  assert.equal((await git(dir, ['cat-file', '-p', 'HEAD:deep/er/moved.txt'])).stdout, await readlink(moved));
  assert.equal((await git(dir, ['status', '--porcelain'])).stdout, '');
  await gitAnnex(dir, ['fsck', '--quiet']);
});

test('after a checkout, unlocked files whose content is here are filled in (post-checkout hook)', async (t) => {
  const dir = await makeRepo(t, { files: { 'doc.txt': 'unlocked doc\n', 'keep.txt': 'kept\n' } });
  await ferry(dir, ['add', '--unlocked', '.']);
  await git(dir, ['commit', '-q', '-m', 'add']);
  await git(dir, ['checkout', '-q', '-b', 'other']);
  await git(dir, ['rm', '-q', 'doc.txt']);
  await git(dir, ['commit', '-q', '-m', 'remove']);
  await git(dir, ['checkout', '-q', 'main']);
  assert.equal(await readFile(join(dir, 'doc.txt'), 'utf8'), 'unlocked doc\n');
  assert.equal((await git(dir, ['status', '--porcelain'])).stdout, '');
});

test('unlock and lock round trip; lock refuses a file whose changes it would discard', async (t) => {
  const dir = await makeRepo(t, { files: { 'a.txt': 'alpha\n', 'b.txt': 'beta\n' } });
  await ferry(dir, ['add', '.']);
  await git(dir, ['commit', '-q', '-m', 'add']);
  await ferry(dir, ['unlock', 'a.txt', 'b.txt']);
  assert.ok((await lstat(join(dir, 'a.txt'))).isFile());
  await writeFile(join(dir, 'a.txt'), 'alpha changed\n');
  const refused = await ferry(dir, ['lock', 'a.txt'], { expect: [1] });
  assert.match(refused.stdout + refused.stderr, /a\.txt has changes that locking would discard/);
  assert.equal(await readFile(join(dir, 'a.txt'), 'utf8'), 'alpha changed\n');
  await ferry(dir, ['lock', 'b.txt']);
  assert.ok((await lstat(join(dir, 'b.txt'))).isSymbolicLink());
  assert.equal(await readFile(join(dir, 'b.txt'), 'utf8'), 'beta\n');
  await ferry(dir, ['add', 'a.txt']);
  await ferry(dir, ['lock', 'a.txt']);
  await git(dir, ['commit', '-q', '-m', 'relock']);
  assert.equal(await readFile(join(dir, 'a.txt'), 'utf8'), 'alpha changed\n');
  assert.equal((await git(dir, ['status', '--porcelain'])).stdout, '');
  await gitAnnex(dir, ['fsck', '--quiet']);
});

test('ferry runs the user\'s own hooks but never git-annex\'s, and never starts git-annex', async (t) => {
  const dir = await makeRepo(t, { init: 'git-annex', files: { 'f.txt': 'via git-annex repo\n', 'u.txt': 'unlocked\n' } });
  const marker = join(await tempDir(t), 'marker');
  const hooks = join(dir, '.git/hooks');
  assert.match(await readFile(join(hooks, 'pre-commit'), 'utf8'), /git annex pre-commit/);
  await writeFile(join(hooks, 'post-index-change'), `#!/bin/sh\necho post-index-change >> ${marker}\n`, { mode: 0o755 });
  // A git-annex that records being started, first on PATH.
  const fakeBin = await tempDir(t);
  const started = join(fakeBin, 'started');
  await writeFile(join(fakeBin, 'git-annex'), `#!/bin/sh\necho "$@" >> ${started}\nexit 1\n`, { mode: 0o755 });
  const path = { PATH: `${distBin}:${fakeBin}:${process.env.PATH ?? ''}` };
  await ferry(dir, ['add', 'f.txt'], { env: path });
  await ferry(dir, ['add', '--unlocked', 'u.txt'], { env: path });
  await ferry(dir, ['unlock', 'f.txt'], { env: path });
  await ferry(dir, ['lock', 'f.txt'], { env: path });
  await ferry(dir, ['whereis', 'f.txt'], { env: path });
  await ferry(dir, ['fsck'], { env: path });
  assert.equal(await readFile(started, 'utf8').catch(() => ''), '', 'git-annex was never started');
  assert.match(await readFile(marker, 'utf8'), /post-index-change/);
  // And git-annex itself is happy with what ferry did in its repository.
  await git(dir, ['commit', '-q', '-m', 'by ferry']);
  await gitAnnex(dir, ['fsck', '--quiet']);
  const objects = await readdir(join(dir, '.git/annex/objects'));
  assert.ok(objects.length > 0);
});

test('with annex.thin an unlocked file and its object are one inode, and the file stays writable', async (t) => {
  const dir = await makeRepo(t, { files: { 'thin.bin': 'one copy on disk\n' } });
  await git(dir, ['config', 'annex.thin', 'true']);
  const [record] = jsonLines((await ferry(dir, ['add', '--unlocked', '--json', 'thin.bin'])).stdout);
  const key = String(record?.key);
  const object = (await git(dir, ['annex', 'examinekey', '--format=${objectpath}', key])).stdout;
  const [file, obj] = await Promise.all([stat(join(dir, 'thin.bin')), stat(join(dir, object))]);
  assert.equal(file.ino, obj.ino);
  assert.ok(file.mode & 0o200, 'still writable');
  await git(dir, ['commit', '-q', '-m', 'add']);
  await gitAnnex(dir, ['fsck', '--quiet']);
});

test('add respects .gitignore unless --force, and recurses into directories', async (t) => {
  const dir = await makeRepo(t, { files: { '.gitignore': 'build/\n*.tmp\n', 'src/deep/a.txt': 'a\n', 'build/out.bin': 'out\n', 'x.tmp': 'tmp\n' } });
  const added = jsonLines((await ferry(dir, ['add', '--json', 'src', 'build', 'x.tmp'])).stdout).map((r) => r.file);
  assert.deepEqual(added, ['src/deep/a.txt']);
  const forced = jsonLines((await ferry(dir, ['add', '--json', '--force', 'build'])).stdout).map((r) => r.file);
  assert.deepEqual(forced, ['build/out.bin']);
  assert.equal((await git(dir, ['ls-files', 'x.tmp'])).stdout, '');
});

test('fsck reports a setup that mixes ferry and git-annex', async (t) => {
  const dir = await makeRepo(t, { init: 'git-annex', files: { 'a.txt': 'a\n' } });
  assert.doesNotMatch((await ferry(dir, ['fsck'])).stderr, /mixed setup/);
  await git(dir, ['config', 'filter.annex.process', 'ferry filter-process']);
  const mixed = await ferry(dir, ['fsck']);
  assert.match(mixed.stderr, /mixed setup: git's annex filter runs ferry but the hooks run git-annex/);
});
