// unused and dropunused: content no ref and not the index uses, listed as git-annex lists it (the two tools
// read each other's numbered list), and dropped only with the same proof of copies as drop.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeRepo } from '../helpers/repo.js';
import { ferry, git, gitAnnex } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

/** The keys an `unused` report lists, in order. */
function listed(stdout: string): string[] {
  return [...stdout.matchAll(/^ {4}\d+ +(\S+)$/gm)].map((m) => m[1]!);
}

test('unused lists what no ref uses, as git-annex does; dropunused keeps the last copy unless forced', async (t) => {
  const repo = await makeRepo(t, { files: { 'keep.txt': 'keep\n', 'gone.txt': 'gone\n', 'old.txt': 'old\n' } });
  await ferry(repo, ['add', '.']);
  await git(repo, ['commit', '-q', '-m', 'add']);
  await git(repo, ['rm', '-q', 'gone.txt']);
  await git(repo, ['commit', '-q', '-m', 'remove one']);
  await git(repo, ['branch', 'side']);
  await git(repo, ['rm', '-q', 'old.txt']);
  await git(repo, ['commit', '-q', '-m', 'remove another']);
  // old.txt is still on branch "side": used. Then side goes too, and old.txt with it.
  const whileSide = listed((await ferry(repo, ['unused'])).stdout);
  assert.equal(whileSide.length, 1, 'only gone.txt');
  await git(repo, ['branch', '-q', '-D', 'side']);

  const ours = listed((await ferry(repo, ['unused'])).stdout);
  const theirs = listed((await gitAnnex(repo, ['unused'])).stdout);
  assert.equal(ours.length, 2);
  assert.deepEqual(ours, theirs, 'the same keys in the same order');
  assert.ok(ours.includes(whileSide[0]!), 'gone.txt is still unused');

  // The only copy: refused, in git-annex's words, nothing removed.
  const refused = await ferry(repo, ['dropunused', '1'], { expect: [1] });
  assert.match(refused.stdout, /^dropunused 1 \(unsafe\)\n {2}Could only verify the existence of 0 out of 1 necessary copy\n/);
  assert.match(refused.stdout, /\nfailed\n$/);
  assert.deepEqual(listed((await ferry(repo, ['unused'])).stdout), ours, 'nothing dropped');

  // git-annex's dropunused reads the list ferry wrote, and ferry's --force drops the other.
  await ferry(repo, ['unused']);
  await gitAnnex(repo, ['dropunused', '--force', '1']);
  await ferry(repo, ['dropunused', '--force', '2']);
  assert.deepEqual(listed((await ferry(repo, ['unused'])).stdout), []);
  assert.match((await ferry(repo, ['unused'])).stdout, /^unused \. \(checking for unused data\.\.\.\) ok\n$/);
  await gitAnnex(repo, ['fsck', '--quiet']);
  await ferry(repo, ['fsck']);
});

test('dropunused drops with proof when another repository holds the content', async (t) => {
  const origin = await makeRepo(t, { files: { 'f.txt': 'content\n' } });
  await ferry(origin, ['add', 'f.txt']);
  await git(origin, ['commit', '-q', '-m', 'add']);
  const clone = join(await tempDir(t), 'clone');
  await git(origin, ['clone', '-q', origin, clone]);
  await ferry(clone, ['init', 'clone']);
  await ferry(clone, ['get', 'f.txt']);
  await git(clone, ['rm', '-q', 'f.txt']);
  await git(clone, ['commit', '-q', '-m', 'rm']);
  // origin/HEAD still uses it in the clone; the remote-tracking refs count as refs, as in git-annex.
  assert.deepEqual(listed((await ferry(clone, ['unused'])).stdout), []);
  await git(clone, ['update-ref', '-d', 'refs/remotes/origin/HEAD']);
  await git(clone, ['update-ref', '-d', 'refs/remotes/origin/main']);
  assert.equal(listed((await ferry(clone, ['unused'])).stdout).length, 1);
  const r = await ferry(clone, ['dropunused', 'all']);
  assert.equal(r.stdout, 'dropunused 1 ok\n');
  assert.deepEqual(listed((await ferry(clone, ['unused'])).stdout), []);
  await gitAnnex(origin, ['fsck', '--quiet']);
  await gitAnnex(clone, ['fsck', '--quiet', '--all']);
});
