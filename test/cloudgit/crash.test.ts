import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { git } from '../helpers/run.js';
import { cloneCloud, commit, makeCloud } from './fixture.js';

// Kill points spread over a push's own progress: before anything, while the bundle's bytes are in the
// store's temp file, after the bundle is in place, before and after the manifest, after the local state.
const PUSH_POINTS = ['cloudgit-push-begin', 'cloudgit-bundle-progress', 'cloudgit-bundle-put', 'cloudgit-manifest-before',
  'cloudgit-manifest-put', 'cloudgit-push-end'];
// And over a fetch's: a bundle downloaded and checked, a bundle applied, the state saved.
const FETCH_POINTS = ['cloudgit-bundle-downloaded', 'cloudgit-bundle-applied', 'cloudgit-fetch-end'];

test('kill -9 of a push at each point: no corrupt repository, the next fetch works, the next push completes', async (t) => {
  const cloud = await makeCloud(t, 'directory');
  const b = await cloneCloud(cloud, 'b');
  let landed = 0;
  let midWrite = 0;
  for (const point of PUSH_POINTS) {
    const sha = await commit(b, 'b', `killed at ${point}`);
    const tmpBefore = (await readdir(join(cloud.storeDir!, 'tmp')).catch(() => [])).length;
    const r = await git(b, ['push', 'origin', 'main'], { env: { ...cloud.env, FERRY_TEST_CRASH: `${point}:1` }, expect: [] });
    assert.notEqual(r.code, 0, `the push was killed at ${point}`);
    const tmp = await readdir(join(cloud.storeDir!, 'tmp')).catch(() => []);
    if (tmp.length > tmpBefore) midWrite++;
    await git(b, ['fsck', '--no-dangling']);
    await git(cloud.origin, ['fetch', '-q', 'cloud-git']);
    if ((await git(cloud.origin, ['rev-parse', 'cloud-git/main'])).stdout.trim() === sha) landed++;
    await git(b, ['push', '-q', 'origin', 'main'], { env: cloud.env });
    await git(cloud.origin, ['fetch', '-q', 'cloud-git']);
    assert.equal((await git(cloud.origin, ['rev-parse', 'cloud-git/main'])).stdout.trim(), sha, `after a kill at ${point}, the next push landed`);
    await git(cloud.origin, ['fsck', '--no-dangling']);
  }
  t.diagnostic(`${PUSH_POINTS.length} pushes killed: ${landed} had published their manifest, ${midWrite} left a partial write in the store's temp dir`);
  assert.ok(landed >= 1 && landed < PUSH_POINTS.length, 'kills fell both before and after the manifest');
});

test('kill -9 of a fetch at each point: no corrupt repository, the next fetch brings everything', async (t) => {
  const cloud = await makeCloud(t, 'directory');
  const b = await cloneCloud(cloud, 'b');
  for (const point of FETCH_POINTS) {
    const sha = await commit(b, 'b', `fetch killed at ${point}`);
    await git(b, ['push', '-q', 'origin', 'main'], { env: cloud.env });
    const r = await git(cloud.origin, ['fetch', 'cloud-git'], { env: { FERRY_TEST_CRASH: `${point}:1` }, expect: [] });
    assert.notEqual(r.code, 0, `the fetch was killed at ${point}`);
    await git(cloud.origin, ['fsck', '--no-dangling']);
    await git(cloud.origin, ['fetch', '-q', 'cloud-git']);
    assert.equal((await git(cloud.origin, ['rev-parse', 'cloud-git/main'])).stdout.trim(), sha, `after a kill at ${point}`);
  }
});
