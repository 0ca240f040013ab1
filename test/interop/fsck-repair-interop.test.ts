// `ferry fsck` repairs, checked by real git-annex 10.20230126: corrupted content is moved to .git/annex/bad/
// and the location log stops claiming it (git-annex then sees the content missing here, and does not have to
// fix the log itself); a location log that wrongly says the content is absent (written by git-annex) is fixed.
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, readdir, readlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { makeRepo } from '../helpers/repo.js';
import { ferry, git, gitAnnex, jsonLines } from '../helpers/run.js';
import { byFile, copiesOf, ferryKeys, uuidOf, whereisJson } from './repo-checks.js';

const FILES = {
  'good.txt': 'fine content\n',
  'bad file.txt': 'this content will be damaged\n',
  'unlogged.txt': 'present, but the log will say otherwise\n',
  'dropped.txt': 'dropped by git-annex, then put back by hand\n',
};

test('ferry fsck moves corrupted content to .git/annex/bad and repairs wrong location logs; git-annex agrees', async (t) => {
  const dir = await makeRepo(t, { description: 'fsck repo', files: FILES });
  await ferry(dir, ['add']);
  await git(dir, ['commit', '-q', '-m', 'add']);
  const here = await uuidOf(dir);
  const keys = await ferryKeys(dir);

  // Corrupt one object in place (same size, other bytes): only the checksum can tell.
  const bad = 'bad file.txt';
  const object = join(dir, dirname(bad), await readlink(join(dir, bad)));
  await chmod(object, 0o644);
  await writeFile(object, FILES[bad].toUpperCase());

  const damaged = await ferry(dir, ['fsck'], { expect: [1] });
  assert.match(damaged.stdout, /^fsck bad file\.txt \(checksum\.\.\.\) failed$/m);
  assert.match(damaged.stderr, new RegExp(`bad file\\.txt: Bad file content; moved to \\.git/annex/bad/${keys.get(bad)!.replace(/\./g, '\\.')}`));
  assert.match(damaged.stdout, /^fsck good\.txt \(checksum\.\.\.\) ok$/m);
  const badDir = join(dir, '.git', 'annex', 'bad');
  assert.deepEqual(await readdir(badDir), [keys.get(bad)]);
  assert.equal(await readFile(join(badDir, keys.get(bad)!), 'utf8'), FILES[bad].toUpperCase());
  await assert.rejects(readFile(object), { code: 'ENOENT' });

  // git-annex: the content is missing here and the log already says so (it has nothing to fix).
  const theirs = await gitAnnex(dir, ['fsck', '--json', bad], { expect: [1] });
  assert.doesNotMatch(theirs.stderr, /expected to be present|fixing location log/);
  assert.match(theirs.stderr, /No known copies exist of bad file\.txt/);
  assert.deepEqual(copiesOf(byFile(await whereisJson('git-annex', dir, [bad])).get(bad)), []);
  assert.ok(!(await gitAnnex(dir, ['find'])).stdout.includes(bad));

  // Location logs that say "absent" for content that is here: one from git-annex's setpresentkey (still in
  // its journal), one from git-annex's own drop (committed) after which the object was put back by hand.
  await gitAnnex(dir, ['setpresentkey', keys.get('unlogged.txt')!, here, '0']);
  await gitAnnex(dir, ['drop', '--force', '--quiet', 'dropped.txt']);
  const dropped = join(dir, await readlink(join(dir, 'dropped.txt')));
  await mkdir(dirname(dropped), { recursive: true });
  await writeFile(dropped, FILES['dropped.txt']);
  assert.deepEqual(copiesOf(byFile(await whereisJson('git-annex', dir, ['unlogged.txt', 'dropped.txt'])).get('dropped.txt')), []);

  const repaired = await ferry(dir, ['fsck', 'unlogged.txt', 'dropped.txt', 'good.txt']);
  assert.equal(repaired.stdout, [
    'fsck unlogged.txt (fixing location log) (checksum...) ok',
    'fsck dropped.txt (fixing location log) (checksum...) ok',
    'fsck good.txt (checksum...) ok',
    '',
  ].join('\n'));
  const after = byFile(await whereisJson('git-annex', dir));
  for (const f of ['good.txt', 'unlogged.txt', 'dropped.txt']) {
    assert.deepEqual(copiesOf(after.get(f)), [{ uuid: here, description: 'fsck repo', here: true }], `git annex whereis ${f}`);
  }
  const annexFsck = jsonLines((await gitAnnex(dir, ['fsck', '--json', 'unlogged.txt', 'dropped.txt', 'good.txt'])).stdout);
  assert.deepEqual(annexFsck.map((r) => [r.file, r.success, r.note]), [
    ['unlogged.txt', true, 'checksum...'], ['dropped.txt', true, 'checksum...'], ['good.txt', true, 'checksum...'],
  ]);
});
