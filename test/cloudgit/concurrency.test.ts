import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ferry, git } from '../helpers/run.js';
import { readTrace } from '../helpers/trace.js';
import { cloneCloud, commit, makeCloud, unreachable } from './fixture.js';
import type { Cloud, StoreKind } from './fixture.js';

/** Pairs of pushes by different peers that were under way at once, from the shared trace's order of events. */
async function overlappingPushes(trace: string): Promise<number> {
  const active = new Set<string>();
  let pairs = 0;
  for (const { event, detail } of await readTrace(trace)) {
    if (event === 'cloudgit-push-begin') {
      pairs += [...active].filter((p) => p !== detail).length;
      active.add(detail);
    } else if (event === 'cloudgit-push-end') active.delete(detail);
  }
  return pairs;
}

async function peers(cloud: Cloud, n: number): Promise<string[]> {
  const dirs: string[] = [];
  for (let i = 0; i < n; i++) dirs.push(await cloneCloud(cloud, `peer${i}`));
  return dirs;
}

for (const kind of ['directory', 's3'] as StoreKind[]) {
  test(`${kind}: 4 peers × 20 rounds of commit + ferry sync at once lose no commit`, async (t) => {
    const cloud = await makeCloud(t, kind);
    const dirs = await peers(cloud, 4);
    for (const dir of dirs) await ferry(dir, ['init', dir.slice(-5)], { env: cloud.env });
    const trace = join(cloud.root, 'trace');
    const env = { ...cloud.env, FERRY_TEST_TRACE: trace };
    const pushed: string[] = [];
    // Rounds start together (all four commit, then all four sync), so pushes overlap however busy the machine is.
    for (let round = 0; round < 20; round++) {
      await Promise.all(dirs.map(async (dir, i) => {
        pushed.push(await commit(dir, `w${i}`, `round ${round}`));
        const r = await ferry(dir, ['sync'], { env, expect: [] });
        assert.equal(r.code, 0, `peer ${i} round ${round}: ferry sync exited ${r.code}\n${r.stderr}`);
      }));
    }
    const overlaps = await overlappingPushes(trace);
    t.diagnostic(`${overlaps} pairs of pushes overlapped`);
    assert.ok(overlaps >= 10, `only ${overlaps} pairs of pushes overlapped`);

    const fresh = await cloneCloud(cloud, 'fresh');
    await ferry(fresh, ['init', 'fresh'], { env: cloud.env });
    await ferry(fresh, ['sync'], { env: cloud.env });
    const missing: string[] = [];
    for (const sha of pushed) {
      if ((await git(fresh, ['merge-base', '--is-ancestor', sha, 'HEAD'], { expect: [0, 1, 128] })).code !== 0) missing.push(sha);
    }
    assert.deepEqual(missing, [], `${missing.length} of ${pushed.length} commits lost (${overlaps} overlapping push pairs)`);
  });
}

test('4 peers × 10 rounds of plain git push and fetch through the helper at once lose no commit', async (t) => {
  const cloud = await makeCloud(t, 'directory');
  const dirs = await peers(cloud, 4);
  const trace = join(cloud.root, 'trace');
  const env = { ...cloud.env, FERRY_TEST_TRACE: trace };
  const pushed: string[] = [];
  for (let round = 0; round < 10; round++) {
    await Promise.all(dirs.map(async (dir, i) => {
      pushed.push(await commit(dir, `w${i}`, `round ${round}`));
      const r = await git(dir, ['push', '-q', 'origin', 'main'], { env, expect: [] });
      assert.equal(r.code, 0, `peer ${i} round ${round}: git push exited ${r.code}\n${r.stderr}`);
      await git(dir, ['fetch', '-q', 'origin'], { env });
    }));
  }
  assert.ok(await overlappingPushes(trace) >= 10, 'pushes overlapped');
  const fresh = await cloneCloud(cloud, 'fresh');
  await git(fresh, ['fetch', '-q', 'origin'], { env: cloud.env });
  assert.deepEqual(await unreachable(fresh, 'origin', pushed, cloud.env), []);
});
