import assert from 'node:assert/strict';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { consolidation } from '../../src/cloudgit/tiers.js';
import { ferry, git, jsonLines } from '../helpers/run.js';
import { cloneCloud, commit, makeCloud } from './fixture.js';

test('size tiers merge four bundles of one tier, the lowest full tier first, and everything beyond 64', () => {
  const b = (id: string, size: number) => ({ id, size });
  assert.deepEqual(consolidation([b('a', 5000), b('b', 300), b('c', 310), b('d', 290)]), []);
  assert.deepEqual(consolidation([b('a', 5000), b('b', 300), b('c', 310), b('d', 290), b('e', 305)]), ['b', 'c', 'd', 'e']);
  assert.deepEqual(consolidation([b('a', 1100), b('b', 1200), b('c', 1300), b('d', 1400), b('e', 20), b('f', 21), b('g', 22), b('h', 23)]), ['e', 'f', 'g', 'h']);
  const many = Array.from({ length: 65 }, (_, i) => b(`x${i}`, 4 ** (i % 10) * 100));
  assert.equal(consolidation(many).length, 65);
});

async function stateFile(dir: string): Promise<string> {
  const root = join(dir, '.git', 'ferry', 'cloudgit');
  const [peer] = await readdir(root);
  return join(root, peer!, 'state.json');
}

test('cloud gc keeps what manifests list, deletes the rest after the grace period, merges with --full, puts back lost bundles', async (t) => {
  const cloud = await makeCloud(t, 'directory');
  const b = await cloneCloud(cloud, 'b');
  await ferry(b, ['init', 'b'], { env: cloud.env });
  const pushed: string[] = [];
  for (let i = 0; i < 9; i++) {
    pushed.push(await commit(b, 'b', `push ${i}`));
    await git(b, ['push', '-q', 'cloud-git', 'main']);
  }
  const bundles = join(cloud.storeDir!, 'ferry-git', 'v1', 'b');
  const before = (await readdir(bundles)).length;
  const first = jsonLines((await ferry(b, ['cloud', 'gc', '--json'])).stdout)[0]!;
  assert.equal(first.deleted, 0, 'nothing is deleted before its grace period');
  assert.ok((first.waiting as number) >= 4, `tier merges left merged-away bundles (${String(first.waiting)} waiting)`);
  assert.equal((await readdir(bundles)).length, before);

  // A day later (as the state remembers it), they go.
  const path = await stateFile(b);
  const state = JSON.parse(await readFile(path, 'utf8')) as { unlistedSince: Record<string, string> };
  for (const id of Object.keys(state.unlistedSince)) state.unlistedSince[id] = new Date(Date.now() - 25 * 3_600_000).toISOString();
  await writeFile(path, JSON.stringify(state));
  const second = jsonLines((await ferry(b, ['cloud', 'gc', '--json'])).stdout)[0]!;
  assert.equal(second.deleted, first.waiting);
  assert.equal((await readdir(bundles)).length, before - (second.deleted as number));

  const full = jsonLines((await ferry(b, ['cloud', 'gc', '--full', '--json'])).stdout)[0]!;
  assert.equal(full.ownAfter, 1);

  // The store loses b's one bundle: gc puts it back.
  const listed = JSON.parse(await readFile(path, 'utf8')) as { bundles: { id: string }[] };
  await rm(join(bundles, listed.bundles[0]!.id));
  const repaired = jsonLines((await ferry(b, ['cloud', 'gc', '--json'])).stdout)[0]!;
  assert.equal(repaired.restored, 1);

  const fresh = await cloneCloud(cloud, 'fresh');
  for (const sha of pushed) assert.equal((await git(fresh, ['merge-base', '--is-ancestor', sha, 'origin/main'], { expect: [0, 1] })).code, 0);
  await git(fresh, ['fsck', '--no-dangling']);

  const bad = await ferry(b, ['cloud', 'gc', '--grace', '2'], { expect: [2] });
  assert.match(bad.stderr, /--grace: expected a number of hours ≥ 24/);
  const unknown = await ferry(b, ['cloud', 'gc', 'nowhere'], { expect: [1] });
  assert.match(unknown.stderr, /no available git remote named "nowhere"/);
});

test('ferry init turns a self-contained clone into NAME-git = ferry::NAME; renameremote follows', async (t) => {
  const cloud = await makeCloud(t, 'directory');
  const b = await cloneCloud(cloud, 'b');
  const init = await ferry(b, ['init', 'b']);
  assert.match(init.stdout, /git remote origin is now cloud-git, ferry::cloud/);
  const config = (key: string) => git(b, ['config', key], { expect: [0, 1] }).then((r) => r.stdout.trim());
  assert.equal(await config('remote.cloud-git.url'), 'ferry::cloud');
  assert.equal(await config('remote.cloud-git.annex-ignore'), 'true');
  assert.equal(await config('remote.cloud-git.prune'), 'true');
  assert.equal(await config('remote.cloud.annex-directory'), cloud.storeDir);
  await commit(b, 'b', 'after init');
  await git(b, ['push', '-q', 'cloud-git', 'main']); // no FERRY_SECRET: the special remote's cipher now

  const r = await ferry(b, ['renameremote', 'cloud', 'sky']);
  assert.match(r.stderr, /git remote cloud-git now has URL ferry::sky/);
  assert.equal(await config('remote.cloud-git.url'), 'ferry::sky');
  await commit(b, 'b', 'after rename');
  await git(b, ['push', '-q', 'cloud-git', 'main']);
  await git(cloud.origin, ['fetch', '-q', 'cloud-git']);
  assert.equal((await git(cloud.origin, ['rev-parse', 'cloud-git/main'])).stdout, (await git(b, ['rev-parse', 'HEAD'])).stdout);
});
