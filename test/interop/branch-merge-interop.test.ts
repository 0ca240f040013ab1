// git-annex branches written by both tools and merged by both: a git-annex clone and a ferry clone of one
// origin each add files, exchange branches (`git annex sync` on one side, plain `git fetch` + merge on the
// other), and then both tools must read the same location logs in both clones. ferry's side also proves that
// `ferry init` in a clone starts from origin/git-annex and that ferry union-merges remote git-annex branches.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeRepo, writeTree } from '../helpers/repo.js';
import { ferry, git, gitAnnex } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { byFile, copiesOf, gitText, uuidOf, whereisJson } from './repo-checks.js';
import type { JsonRecord } from './repo-checks.js';

/** file → uuids with a copy, by one tool's whereis. */
function presence(records: readonly JsonRecord[]): Map<string, string[]> {
  return new Map([...byFile(records)].map(([f, r]) => [f, copiesOf(r).map((c) => c.uuid)]));
}

async function uuidLog(dir: string): Promise<string> {
  return (await git(dir, ['cat-file', '-p', 'refs/heads/git-annex:uuid.log'])).stdout;
}

async function isAncestor(dir: string, ancestor: string, of: string): Promise<boolean> {
  return (await git(dir, ['merge-base', '--is-ancestor', ancestor, of], { expect: [0, 1] })).code === 0;
}

test('a git-annex clone and a ferry clone of one origin merge each other\'s git-annex branches and agree on whereis', async (t) => {
  const origin = await makeRepo(t, { init: 'git-annex', description: 'origin', files: { 'seed.txt': 'from origin\n' } });
  await gitAnnex(origin, ['add', '--quiet', 'seed.txt']);
  await git(origin, ['commit', '-q', '-m', 'seed']);
  const root = await tempDir(t);
  const annexSide = join(root, 'annex side');
  const ferrySide = join(root, 'ferry side');
  await git(root, ['clone', '-q', origin, annexSide]);
  await git(root, ['clone', '-q', origin, ferrySide]);
  const originUuid = await uuidOf(origin);

  // ferry init in a clone continues origin's git-annex branch, as git annex init does.
  await ferry(ferrySide, ['init', 'ferry side']);
  assert.ok(await isAncestor(ferrySide, 'refs/remotes/origin/git-annex', 'refs/heads/git-annex'), 'ferry init starts from origin/git-annex');
  const ferryUuid = await uuidOf(ferrySide);
  assert.match(await uuidLog(ferrySide), new RegExp(`^${originUuid} origin timestamp=`, 'm'));
  assert.match(await uuidLog(ferrySide), new RegExp(`^${ferryUuid} ferry side timestamp=`, 'm'));
  await writeTree(ferrySide, { 'from ferry.txt': 'ferry wrote this\n', 'ferry/ü.bin': 'more\n' });
  await ferry(ferrySide, ['add']);
  await git(ferrySide, ['commit', '-q', '-m', 'ferry side adds']);

  await gitAnnex(annexSide, ['init', '-q', 'annex side']);
  const annexUuid = await uuidOf(annexSide);
  await writeTree(annexSide, { 'from annex.txt': 'git-annex wrote this\n' });
  await gitAnnex(annexSide, ['add', '--quiet', 'from annex.txt']);
  await git(annexSide, ['commit', '-q', '-m', 'annex side adds']);

  // git-annex side: sync with the ferry clone (fetches ferry's branches, merges them, pushes git-annex and
  // synced/* into it).
  await git(annexSide, ['remote', 'add', 'ferryside', ferrySide]);
  await gitAnnex(annexSide, ['sync', '--quiet', 'ferryside']);
  assert.ok(await isAncestor(annexSide, 'refs/remotes/ferryside/git-annex', 'refs/heads/git-annex'), 'git-annex merged ferry\'s branch');
  for (const u of [originUuid, ferryUuid, annexUuid]) assert.match(await uuidLog(annexSide), new RegExp(`^${u} `, 'm'), `annex side's uuid.log has ${u}`);

  // Both sides move on, so their git-annex branches diverge.
  await writeTree(ferrySide, { 'second from ferry.txt': 'ferry again\n' });
  await ferry(ferrySide, ['add', 'second from ferry.txt']);
  await git(ferrySide, ['commit', '-q', '-m', 'ferry side adds more']);
  await writeTree(annexSide, { 'second from annex.txt': 'git-annex again\n' });
  await gitAnnex(annexSide, ['add', '--quiet', 'second from annex.txt']);
  await git(annexSide, ['commit', '-q', '-m', 'annex side adds more']);

  // ferry side: plain git fetch + merge; ferry's next command union-merges the fetched git-annex branch.
  await git(ferrySide, ['remote', 'add', 'annexside', annexSide]);
  await git(ferrySide, ['fetch', '-q', 'annexside']);
  await git(ferrySide, ['merge', '-q', '--no-edit', 'refs/remotes/annexside/main']);
  assert.equal(await isAncestor(ferrySide, 'refs/remotes/annexside/git-annex', 'refs/heads/git-annex'), false);
  const firstRead = await whereisJson('ferry', ferrySide);
  assert.ok(await isAncestor(ferrySide, 'refs/remotes/annexside/git-annex', 'refs/heads/git-annex'), 'ferry merged the git-annex side\'s branch');
  assert.equal((await gitText(ferrySide, ['rev-list', '--parents', '-n', '1', 'refs/heads/git-annex'])).split(' ').length, 3, 'a merge commit');
  for (const u of [originUuid, ferryUuid, annexUuid]) assert.match(await uuidLog(ferrySide), new RegExp(`^${u} `, 'm'), `ferry side's uuid.log has ${u}`);
  assert.equal(await gitText(ferrySide, ['status', '--porcelain']), '');

  // git-annex side: plain git fetch + merge too; git-annex merges ferry's merge commit by itself.
  await git(annexSide, ['fetch', '-q', 'ferryside']);
  await git(annexSide, ['merge', '-q', '--no-edit', 'refs/remotes/ferryside/main']);

  const expected = new Map([
    ['ferry/ü.bin', [ferryUuid]],
    ['from annex.txt', [annexUuid]],
    ['from ferry.txt', [ferryUuid]],
    ['second from annex.txt', [annexUuid]],
    ['second from ferry.txt', [ferryUuid]],
    ['seed.txt', [originUuid]],
  ]);
  assert.deepEqual(presence(firstRead), expected, 'ferry whereis on the ferry side, right after its merge');

  // Both tools in both clones: git-annex first (it records remotes' uuids in git config, which both tools
  // then use to name repositories), then ferry, which must print the same records.
  for (const [side, dir] of [['annex side', annexSide], ['ferry side', ferrySide]] as const) {
    const theirs = await whereisJson('git-annex', dir);
    assert.deepEqual(presence(theirs), expected, `git annex whereis on the ${side}`);
    assert.deepEqual(await whereisJson('ferry', dir), theirs, `ferry whereis --json and git annex whereis --json on the ${side}`);
    for (const u of [originUuid, ferryUuid, annexUuid]) assert.match(await uuidLog(dir), new RegExp(`^${u} `, 'm'), `${side}'s uuid.log has ${u}`);
  }
  assert.ok(await isAncestor(annexSide, 'refs/remotes/ferryside/git-annex', 'refs/heads/git-annex'), 'git-annex merged ferry\'s merge');
});
