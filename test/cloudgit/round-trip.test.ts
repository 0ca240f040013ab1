import assert from 'node:assert/strict';
import { cp, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ferry, git } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { cloneCloud, commit, makeCloud, remoteRefs } from './fixture.js';
import type { StoreKind } from './fixture.js';

for (const kind of ['directory', 's3'] as StoreKind[]) {
  test(`${kind}: clone, push, fetch and ls-remote round trips between two machines`, async (t) => {
    const cloud = await makeCloud(t, kind);
    const b = await cloneCloud(cloud, 'b');
    assert.equal((await git(b, ['log', '-1', '--format=%s'])).stdout.trim(), 'first');
    assert.equal((await git(b, ['show', 'HEAD:a.txt'])).code, 0);
    assert.equal((await git(b, ['rev-parse', 'origin/git-annex'])).code, 0, 'the git-annex branch came too');

    // The clone keeps working once the environment variable is gone: the secret is in its key file.
    const env = { ...cloud.env };
    delete env.FERRY_SECRET;
    const fromB = await commit(b, 'b', 'one');
    await git(b, ['push', '-q', 'origin', 'main'], { env });
    await git(cloud.origin, ['fetch', '-q', 'cloud-git'], { env });
    assert.equal((await git(cloud.origin, ['rev-parse', 'cloud-git/main'])).stdout.trim(), fromB);

    // A tag, a new branch, then the branch deleted again.
    await git(b, ['tag', '-a', 'v1', '-m', 'release']);
    await git(b, ['branch', 'topic']);
    await git(b, ['push', '-q', 'origin', 'v1', 'topic'], { env });
    let refs = await remoteRefs(cloud.origin, 'cloud-git', env);
    assert.equal(refs.get('refs/tags/v1'), (await git(b, ['rev-parse', 'v1'])).stdout.trim());
    assert.equal(refs.get('refs/heads/topic'), fromB);
    await git(b, ['push', '-q', 'origin', ':topic'], { env });
    refs = await remoteRefs(cloud.origin, 'cloud-git', env);
    assert.equal(refs.has('refs/heads/topic'), false, 'a branch only b had is gone once b deletes it');
    assert.equal(refs.get('HEAD'), refs.get('refs/heads/main'));

    // Pushing again with nothing new uploads nothing.
    const before = (await git(b, ['push', 'origin', 'main'], { env })).stderr;
    assert.match(before, /Everything up-to-date/);
  });
}

test('ls-remote outside any repository, and an empty cloud cloned', async (t) => {
  const cloud = await makeCloud(t, 'directory');
  const outside = await tempDir(t);
  const listed = (await git(outside, ['ls-remote', cloud.url], { env: cloud.env })).stdout;
  assert.match(listed, /\trefs\/heads\/main\n/);
  assert.match(listed, /\trefs\/heads\/git-annex\n/);

  const empty = await tempDir(t);
  const r = await git(outside, ['clone', `ferry::${empty}`, join(outside, 'e')], { env: cloud.env, expect: [128] });
  assert.match(r.stderr, /there is no ferry cloud at directory/);
  await assert.rejects(stat(join(outside, 'e')), 'a failed clone leaves no directory behind');
});

test('a clone without the secret, or with a wrong one, fails cleanly and leaves nothing', async (t) => {
  const cloud = await makeCloud(t, 'directory');
  const dir = await tempDir(t);
  const none = await git(dir, ['clone', cloud.url, 'x'], { expect: [128] });
  assert.match(none.stderr, /no secret to open this cloud with/);
  assert.match(none.stderr, /FERRY_SECRET/);
  const wrong = Buffer.from(`${Buffer.alloc(512, 7).toString('base64')}\n`).toString('base64');
  const bad = await git(dir, ['clone', cloud.url, 'y'], { env: { FERRY_SECRET: wrong }, expect: [128] });
  assert.match(bad.stderr, /refused: .*authentication failed/);
  assert.deepEqual(await readdir(dir), []);
});

test('ferry:: over an unencrypted special remote is refused unless plaintext is asked for', async (t) => {
  const cloud = await makeCloud(t, 'directory', { encryption: 'none' });
  await git(cloud.origin, ['remote', 'add', 'plain', 'ferry::cloud']);
  const r = await git(cloud.origin, ['push', 'plain', 'main'], { expect: [1, 128] });
  assert.match(r.stderr, /special remote cloud is not encrypted/);
  assert.match(r.stderr, /ferry-plaintext/);
  const b = await cloneCloud(cloud, 'b');
  assert.equal((await git(b, ['log', '-1', '--format=%s'])).stdout.trim(), 'first');
});

test('divergent pushes by two peers are both kept: one main, and the other under ferry/peers/', async (t) => {
  const cloud = await makeCloud(t, 'directory');
  const b = await cloneCloud(cloud, 'b');
  const fromB = await commit(b, 'b', 'diverges');
  await git(b, ['push', '-q', 'origin', 'main'], { env: cloud.env });
  const fromA = await commit(cloud.origin, 'a', 'diverges too');
  // git checks fast-forward against a's own manifest only, so b's push cannot make it refuse.
  await git(cloud.origin, ['push', '-q', 'cloud-git', 'main']);
  const refs = await remoteRefs(cloud.origin, 'cloud-git');
  const heads = [...refs].filter(([ref]) => ref === 'refs/heads/main' || /^refs\/heads\/ferry\/peers\/[0-9a-f]{32}\/main$/.test(ref));
  assert.deepEqual(heads.map(([, sha]) => sha).sort(), [fromA, fromB].sort());
  // ferry sync merges both, and after its push there is one head again.
  await ferry(cloud.origin, ['sync']);
  await ferry(b, ['init', 'b'], { env: cloud.env });
  await ferry(b, ['sync'], { env: cloud.env });
  for (const dir of [cloud.origin, b]) {
    for (const sha of [fromA, fromB]) assert.equal((await git(dir, ['merge-base', '--is-ancestor', sha, 'HEAD'], { expect: [0, 1] })).code, 0);
  }
});

test('a 10,000-commit history: pushed in one bundle, cloned whole, then a one-commit push sends one small bundle', async (t) => {
  const cloud = await makeCloud(t, 'directory');
  const n = 10_000;
  let stream = '';
  for (let i = 1; i <= n; i++) {
    stream += `commit refs/heads/long\nmark :${i}\ncommitter T <t@x> ${1_800_000_000 + i} +0000\ndata 8\nc ${String(i).padStart(5, '0')}\n`;
    stream += i === 1 ? '' : `from :${i - 1}\n`;
    stream += `M 644 inline f${i % 50}.txt\ndata ${String(i).length + 1}\n${i}\n\n`;
  }
  await git(cloud.origin, ['fast-import', '--quiet'], { input: stream });
  await git(cloud.origin, ['push', '-q', 'cloud-git', 'long']);
  const b = await cloneCloud(cloud, 'b');
  assert.equal((await git(b, ['rev-list', '--count', 'origin/long'])).stdout.trim(), String(n));
  await git(b, ['fsck', '--no-dangling']);

  const bundles = join(cloud.storeDir!, 'ferry-git', 'v1', 'b');
  const before = new Set(await readdir(bundles));
  await git(cloud.origin, ['checkout', '-q', 'long']);
  await commit(cloud.origin, 'one', 'more');
  await git(cloud.origin, ['push', '-q', 'cloud-git', 'long']);
  const added = (await readdir(bundles)).filter((name) => !before.has(name));
  assert.equal(added.length, 1);
  const size = (await stat(join(bundles, added[0]!))).size;
  assert.ok(size < 2048, `a one-commit push uploaded a ${size}-byte bundle`);
  await git(b, ['fetch', '-q', 'origin'], { env: cloud.env });
  assert.equal((await git(b, ['rev-list', '--count', 'origin/long'])).stdout.trim(), String(n + 1));
});

test('a copied .git becomes a new peer, so two copies never write one manifest', async (t) => {
  const cloud = await makeCloud(t, 'directory');
  const b = await cloneCloud(cloud, 'b');
  await commit(b, 'b', 'before the copy');
  await git(b, ['push', '-q', 'origin', 'main'], { env: cloud.env });
  const copy = join(cloud.root, 'b-copy');
  await cp(b, copy, { recursive: true });
  const fromCopy = await commit(copy, 'copy', 'diverges');
  const r = await git(copy, ['push', 'origin', 'main'], { env: cloud.env });
  assert.match(r.stderr, /was copied or restored .* joins the cloud as a new peer/);
  const peer = (dir: string) => git(dir, ['config', 'remote.origin.ferry-peer']).then((x) => x.stdout.trim());
  assert.notEqual(await peer(copy), await peer(b));
  const fromB = await commit(b, 'b', 'diverges too');
  await git(b, ['push', '-q', 'origin', 'main'], { env: cloud.env });
  const refs = await remoteRefs(cloud.origin, 'cloud-git');
  const heads = [...refs].filter(([ref]) => /^refs\/heads\/(ferry\/peers\/[0-9a-f]{32}\/)?main$/.test(ref)).map(([, sha]) => sha);
  assert.deepEqual(heads.sort(), [fromB, fromCopy].sort());
});

test('a cloud whose only peer deleted its branches clones as an empty repository', async (t) => {
  const cloud = await makeCloud(t, 'directory');
  await git(cloud.origin, ['push', '-q', 'cloud-git', ':main', ':git-annex']);
  assert.deepEqual([...(await remoteRefs(cloud.origin, 'cloud-git')).keys()], []);
  const dir = join(cloud.root, 'empty');
  const r = await git(cloud.root, ['clone', cloud.url, dir], { env: cloud.env });
  assert.match(r.stderr, /cloned an empty repository/);
  assert.equal((await git(dir, ['rev-parse', '-q', '--verify', 'HEAD'], { expect: [1] })).code, 1);
});
