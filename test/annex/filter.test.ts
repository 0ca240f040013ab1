import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeRepo, writeTree } from '../helpers/repo.js';
import { ferry, git, gitAnnex } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { readTrace } from '../helpers/trace.js';

test('git add of many files starts one long-running filter process, which annexes them', async (t) => {
  const dir = await makeRepo(t);
  await git(dir, ['config', 'annex.largefiles', 'anything']);
  const files: Record<string, string> = {};
  for (let i = 0; i < 300; i++) files[`d${i % 7}/file${i}.txt`] = `content of file ${i}\n`;
  await writeTree(dir, files);
  const traceFile = join(await tempDir(t), 'trace');
  await git(dir, ['add', '.'], { env: { FERRY_TEST_TRACE: traceFile } });
  const trace = await readTrace(traceFile);
  assert.equal(trace.filter((e) => e.event === 'filter-process').length, 1, 'one filter process for 300 files');
  await git(dir, ['commit', '-q', '-m', 'add']);
  const tree = (await git(dir, ['ls-tree', '-r', 'HEAD'])).stdout.split('\n').filter(Boolean);
  assert.equal(tree.length, 300);
  for (const path of ['d0/file0.txt', 'd5/file299.txt']) {
    assert.match((await git(dir, ['cat-file', '-p', `HEAD:${path}`])).stdout, /^\/annex\/objects\/SHA256E-s\d+--[0-9a-f]{64}\.txt\n$/);
    assert.equal(await readFile(join(dir, path), 'utf8'), files[path]);
  }
  assert.equal((await git(dir, ['status', '--porcelain'])).stdout, '');
  await gitAnnex(dir, ['fsck', '--quiet']);
});

test('the per-file clean and smudge commands work where git does not use the filter process', async (t) => {
  const dir = await makeRepo(t, { files: { 'one.dat': 'per-file clean\n' } });
  await git(dir, ['config', 'annex.largefiles', 'anything']);
  await git(dir, ['config', '--unset', 'filter.annex.process']);
  const traceFile = join(await tempDir(t), 'trace');
  await git(dir, ['add', 'one.dat'], { env: { FERRY_TEST_TRACE: traceFile } });
  await git(dir, ['commit', '-q', '-m', 'add']);
  assert.deepEqual((await readTrace(traceFile)).filter((e) => e.event === 'filter-process'), [], 'per-file commands only');
  const pointer = (await git(dir, ['cat-file', '-p', 'HEAD:one.dat'])).stdout;
  assert.match(pointer, /^\/annex\/objects\/SHA256E-s15--/);
  // Smudge never writes content itself: without hooks the checkout leaves the pointer, until
  // `ferry smudge --update` (what the post-checkout hook runs) fills it in, as with git-annex.
  await writeFile(join(dir, 'one.dat'), 'changed\n');
  await git(dir, ['-c', 'core.hooksPath=/dev/null', 'checkout', '--', 'one.dat']);
  assert.equal(await readFile(join(dir, 'one.dat'), 'utf8'), pointer);
  await ferry(dir, ['smudge', '--update']);
  assert.equal(await readFile(join(dir, 'one.dat'), 'utf8'), 'per-file clean\n');
  // With the hooks, a checkout fills it in by itself.
  await writeFile(join(dir, 'one.dat'), 'changed again\n');
  await git(dir, ['checkout', '--', 'one.dat']);
  assert.equal(await readFile(join(dir, 'one.dat'), 'utf8'), 'per-file clean\n');
  assert.equal((await git(dir, ['status', '--porcelain'])).stdout, '');
  await gitAnnex(dir, ['fsck', '--quiet']);
});
