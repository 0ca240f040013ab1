import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Annex, AnnexRepo, journalFileName } from '../../src/annex/index.js';
import { useTestEnv } from '../helpers/env.js';
import { makeRepo } from '../helpers/repo.js';
import { git, gitAnnex, start } from '../helpers/run.js';
import { waitUntilStopped } from '../helpers/trace.js';

useTestEnv();

async function openAnnex(dir: string): Promise<Annex> {
  const repo = await AnnexRepo.open(dir);
  return new Annex(repo, repo.requireInitialised());
}

async function branchFile(dir: string, path: string): Promise<string> {
  return (await git(dir, ['cat-file', '-p', `git-annex:${path}`], { expect: [] })).stdout;
}

test('reads take the journal over the branch, and a commit stages the journal and empties it', async (t) => {
  const dir = await makeRepo(t);
  const annex = await openAnnex(dir);
  t.after(() => annex.close());
  await annex.branch.change(new Map([['trust.log', () => 'u1 1 timestamp=10s\n']]));
  const journal = join(dir, '.git/annex/journal');
  assert.deepEqual(await readdir(journal), [journalFileName('trust.log')]);
  assert.equal(await branchFile(dir, 'trust.log'), '', 'not committed yet');
  assert.equal(await annex.branch.get('trust.log'), 'u1 1 timestamp=10s\n');

  // Someone else's journal entry wins over the branch too (git-annex writes the same files).
  await writeFile(join(journal, journalFileName('group.log')), 'u1 client timestamp=11s\n');
  assert.equal(await annex.branch.get('group.log'), 'u1 client timestamp=11s\n');

  const commit = await annex.branch.commit();
  assert.ok(commit);
  assert.deepEqual(await readdir(journal), []);
  assert.equal(await branchFile(dir, 'trust.log'), 'u1 1 timestamp=10s\n');
  assert.equal(await branchFile(dir, 'group.log'), 'u1 client timestamp=11s\n');
  // .git/annex/index is in step with the branch, so git-annex will not merge stale lines back in.
  assert.equal((await readFile(join(dir, '.git/annex/index.lck'), 'utf8')).trim(), commit);
  assert.equal(await annex.branch.commit(), undefined, 'nothing left to commit');
});

test('reads see what another process commits between them, under directories read before and new ones', async (t) => {
  const dir = await makeRepo(t, { files: { 'a.txt': 'a\n' } });
  await gitAnnex(dir, ['add', 'a.txt']);
  const annex = await openAnnex(dir);
  t.after(() => annex.close());
  const keyOf = async (file: string) => (await gitAnnex(dir, ['lookupkey', file])).stdout.trim();
  const logOf = async (file: string) => (await gitAnnex(dir, ['examinekey', '--format=${hashdirlower}${key}.log', await keyOf(file)])).stdout.trim();
  const aLog = await logOf('a.txt');
  assert.match(await annex.branch.get(aLog), /1 /, 'a.txt is present here');
  assert.equal((await annex.branch.getMany([aLog, 'x/y/none.log'])).get('x/y/none.log'), '');

  // git-annex commits a change to a log under a directory already read, and a log under a new one.
  await writeFile(join(dir, 'b.txt'), 'b\n');
  await gitAnnex(dir, ['add', 'b.txt']);
  await gitAnnex(dir, ['drop', '--force', 'a.txt']);
  await gitAnnex(dir, ['merge']); // commits the journal into the branch
  assert.deepEqual(await readdir(join(dir, '.git/annex/journal')), []);
  assert.match(await annex.branch.get(aLog), /0 /, 'the drop is seen');
  const bLog = await logOf('b.txt');
  assert.match(await annex.branch.get(bLog), /1 /, 'the new log is seen');
  assert.match((await annex.branch.getMany([aLog, bLog])).get(bLog) ?? '', /1 /);
});

test('bulk changes build on the journal and land in the same commit', async (t) => {
  const dir = await makeRepo(t);
  const annex = await openAnnex(dir);
  t.after(() => annex.close());
  await annex.branch.change(new Map([['a/b.log', () => 'one\n']]));
  const before = (await git(dir, ['rev-parse', 'git-annex'])).stdout.trim();
  const commit = await annex.branch.commit('update', new Map([
    ['a/b.log', (old: string) => `${old}two\n`],
    ['c/d.log', () => 'three\n'],
  ]));
  assert.equal(await branchFile(dir, 'a/b.log'), 'one\ntwo\n');
  assert.equal(await branchFile(dir, 'c/d.log'), 'three\n');
  assert.equal((await git(dir, ['rev-parse', `${commit}^`])).stdout.trim(), before, 'one commit on top');
  assert.equal((await git(dir, ['for-each-ref', 'refs/ferry'])).stdout, '', 'no scratch ref left behind');
});

test('git-annex does not resurrect lines ferry compacted away', async (t) => {
  const dir = await makeRepo(t);
  const annex = await openAnnex(dir);
  t.after(() => annex.close());
  await annex.branch.commit('update', new Map([['x.log', () => 'old 1\nolder 2\n']]));
  await annex.branch.commit('update', new Map([['x.log', () => 'new 1\n']]));
  await gitAnnex(dir, ['describe', 'here', 'changed by git-annex']);
  assert.equal(await branchFile(dir, 'x.log'), 'new 1\n');
  assert.match(await branchFile(dir, 'uuid.log'), /changed by git-annex/);
});

test('other git-annex branches are union-merged, by fast-forward when possible', async (t) => {
  const dir = await makeRepo(t);
  const annex = await openAnnex(dir);
  t.after(() => annex.close());
  const head = async () => (await git(dir, ['rev-parse', 'git-annex'])).stdout.trim();
  const base = await head();
  const local = (await annex.branch.commit('update', new Map([['m.log', () => 'a\nb\n']])))!;
  await git(dir, ['update-ref', 'refs/heads/git-annex', base]);
  const theirs = (await annex.branch.commit('update', new Map([['m.log', () => 'b\nd\n']])))!;

  // A remote's branch that is ahead of ours: fast-forward.
  await git(dir, ['update-ref', 'refs/heads/git-annex', base]);
  await git(dir, ['update-ref', 'refs/remotes/r1/git-annex', local]);
  assert.deepEqual(await annex.branch.update(), ['refs/remotes/r1/git-annex']);
  assert.equal(await head(), local, 'fast-forwarded');
  assert.deepEqual(await annex.branch.update(), [], 'nothing new to merge');

  // Diverged: the union of the lines, sorted, in a merge commit named as git-annex names it.
  await git(dir, ['update-ref', 'refs/remotes/r2/synced/git-annex', theirs]);
  assert.deepEqual(await annex.branch.update(), ['refs/remotes/r2/synced/git-annex']);
  assert.equal(await branchFile(dir, 'm.log'), 'a\nb\nd\n');
  const [subject, parents] = (await git(dir, ['log', '-1', '--format=%s%n%P', 'git-annex'])).stdout.split('\n');
  assert.equal(subject, 'merging r2/synced/git-annex into git-annex');
  assert.equal(parents, `${local} ${theirs}`);
  // git-annex reads and extends the merged branch the same way.
  await gitAnnex(dir, ['describe', 'here', 'after merge']);
  assert.equal(await branchFile(dir, 'm.log'), 'a\nb\nd\n');
});

test('a commit that loses the race to another writer merges their change instead of overwriting it', async (t) => {
  const dir = await makeRepo(t, { files: { 'f.txt': 'content\n' } });
  // Stop `ferry add` after it prepared its branch commit, move the branch under it as a push into this
  // repository would, then let it go on.
  const ferryAdd = start(dir, 'ferry', ['add', 'f.txt'], { env: { FERRY_TEST_STOP: 'branch-prepared:1' } });
  await waitUntilStopped(ferryAdd.child.pid!);
  const parent = (await git(dir, ['rev-parse', 'git-annex'])).stdout.trim();
  const blob = (await git(dir, ['hash-object', '-w', '--stdin'], { input: 'pushed by someone\n' })).stdout.trim();
  const idx = join(dir, '.git', 'test-index');
  await git(dir, ['read-tree', parent], { env: { GIT_INDEX_FILE: idx } });
  await git(dir, ['update-index', '--add', '--cacheinfo', `100644,${blob},pushed.log`], { env: { GIT_INDEX_FILE: idx } });
  const tree = (await git(dir, ['write-tree'], { env: { GIT_INDEX_FILE: idx } })).stdout.trim();
  const theirs = (await git(dir, ['commit-tree', tree, '-p', parent, '-m', 'pushed'])).stdout.trim();
  await git(dir, ['update-ref', 'refs/heads/git-annex', theirs, parent]);
  ferryAdd.child.kill('SIGCONT');
  const result = await ferryAdd.done;
  assert.equal(result.code, 0, result.stderr);
  // Both survive: their file and ferry's location log, with theirs as an ancestor.
  assert.equal(await branchFile(dir, 'pushed.log'), 'pushed by someone\n');
  await git(dir, ['merge-base', '--is-ancestor', theirs, 'git-annex']);
  assert.match((await git(dir, ['log', '-1', '--format=%s', 'git-annex'])).stdout, /recovery from race #1/);
  await git(dir, ['commit', '-q', '-m', 'add']);
  await gitAnnex(dir, ['fsck', '--quiet']);
  assert.match((await gitAnnex(dir, ['whereis', 'f.txt'])).stdout, /1 copy/);
});
