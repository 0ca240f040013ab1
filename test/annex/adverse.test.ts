import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bytes, makeRepo, writeTree } from '../helpers/repo.js';
import { ferry, git, gitAnnex, jsonLines } from '../helpers/run.js';

test('a disk that fills up mid-add: a clear error, files left as they were, and the next add finishes', async (t) => {
  // Unmounted before the temp dir is removed (after-hooks run in the order they were added).
  const mount = await mkdtemp(join(tmpdir(), 'ferry-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mount]);
  t.after(async () => {
    execFileSync('umount', ['-l', mount]);
    await rm(mount, { recursive: true, force: true });
  });
  const dir = join(mount, 'repo');
  await git(mount, ['init', '-q', 'repo']);
  await ferry(dir, ['init', 'small disk']);
  const files: Record<string, Buffer> = {};
  for (let i = 0; i < 6; i++) files[`f${i}.bin`] = bytes(i + 1, 500 * 1024);
  await writeTree(dir, files);
  // Unlocked files are copied into the annex: 3 MB of originals leave room for one or two copies.
  const result = await ferry(dir, ['add', '--unlocked', '--json', '.'], { expect: [1] });
  const records = jsonLines(result.stdout);
  const failed = records.filter((r) => r.success === false).map((r) => String(r.file));
  assert.ok(failed.length >= 3, `most files did not fit: ${failed.join(', ')}`);
  for (const r of records.filter((x) => x.success === false)) {
    assert.match(String((r['error-messages'] as string[])[0]), /^disk full while trying to copy .*f\d\.bin$/);
  }
  for (const [name, content] of Object.entries(files)) {
    assert.deepEqual(await readFile(join(dir, name)), content, `${name} is intact`);
  }
  assert.equal((await ferry(dir, ['fsck'])).code, 0);
  // Room again (all but one of the files that failed are deleted): the next add finishes the job.
  const [kept, ...removed] = failed.sort();
  for (const name of removed) await rm(join(dir, name));
  await ferry(dir, ['add', '--unlocked', '.']);
  await git(dir, ['commit', '-q', '-m', 'add']);
  const staged = (await git(dir, ['ls-files'])).stdout.split('\n').filter(Boolean).sort();
  const expected = Object.keys(files).filter((f) => !removed.includes(f)).sort();
  assert.deepEqual(staged, expected);
  assert.ok(staged.includes(kept!));
  assert.equal((await ferry(dir, ['fsck'])).code, 0);
  assert.equal((await git(dir, ['status', '--porcelain'])).stdout, '');
});

test('without the lock addon ferry works where only ferry has been, and refuses where git-annex has', async (t) => {
  const noAddon = { FERRY_TEST_NO_ADDON: '1' };
  const mine = await makeRepo(t, { init: 'none', files: { 'a.txt': 'alpha\n' } });
  await ferry(mine, ['init'], { env: noAddon });
  await ferry(mine, ['add', 'a.txt'], { env: noAddon });
  await git(mine, ['commit', '-q', '-m', 'add']);
  await gitAnnex(mine, ['fsck', '--quiet']);

  const theirs = await makeRepo(t, { init: 'git-annex', files: { 'b.txt': 'beta\n' } });
  await gitAnnex(theirs, ['add', '-q', '.']);
  await writeFile(join(theirs, 'c.txt'), 'gamma\n');
  const refused = await ferry(theirs, ['add', 'c.txt'], { env: noAddon, expect: [1] });
  assert.match(refused.stderr, /refusing to write to .*: git-annex has used this repository and ferry cannot take its locks/);
  assert.match(refused.stderr, /hint: .*npm rebuild/);
  assert.equal((await git(theirs, ['ls-files', 'c.txt'])).stdout, '', 'nothing staged');
  const objects = await readdir(join(theirs, '.git/annex/objects'), { recursive: true });
  assert.equal(objects.filter((p) => p.endsWith('.txt') && p.split('/').length === 4).length, 1, 'only git-annex\'s object');
});
