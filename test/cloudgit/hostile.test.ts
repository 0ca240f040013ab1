import assert from 'node:assert/strict';
import { cp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { git } from '../helpers/run.js';
import { cloneCloud, commit, makeCloud } from './fixture.js';
import type { Cloud } from './fixture.js';

const area = (cloud: Cloud): string => join(cloud.storeDir!, 'ferry-git', 'v1');

async function names(dir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const name of await readdir(dir).catch(() => [])) out.set(name, (await stat(join(dir, name))).mtimeMs);
  return out;
}

/** Runs `change` and returns the store files (under m/ or b/) it created or rewrote. */
async function written(cloud: Cloud, sub: 'm' | 'b', change: () => Promise<unknown>): Promise<string[]> {
  const before = await names(join(area(cloud), sub));
  await change();
  const after = await names(join(area(cloud), sub));
  return [...after].filter(([n, t]) => before.get(n) !== t).map(([n]) => join(area(cloud), sub, n));
}

async function flipByte(path: string, at: number): Promise<void> {
  const bytes = await readFile(path);
  bytes[at % bytes.length]! ^= 0x20;
  await writeFile(path, bytes);
}

/** refs and a clean fsck: what "the local repository is untouched" means here. */
async function snapshot(dir: string): Promise<string> {
  await git(dir, ['fsck', '--no-dangling']);
  return (await git(dir, ['for-each-ref', '--format=%(objectname) %(refname)'])).stdout;
}

/** A cloud, a second machine `b` that pushed one commit, and `a` (the origin) that has fetched it. */
async function twoMachines(t: { after(fn: () => unknown): void }): Promise<{ cloud: Cloud; b: string; env: Record<string, string> }> {
  const cloud = await makeCloud(t, 'directory');
  const b = await cloneCloud(cloud, 'b');
  await commit(b, 'b', 'one');
  await git(b, ['push', '-q', 'origin', 'main'], { env: cloud.env });
  await git(cloud.origin, ['fetch', '-q', 'cloud-git']);
  return { cloud, b, env: cloud.env };
}

test('a flipped byte in a bundle or in a manifest is refused, and the fetching repository is left as it was', async (t) => {
  const { cloud, b, env } = await twoMachines(t);
  for (const sub of ['b', 'm'] as const) {
    await commit(b, 'b', `for ${sub}`);
    const files = await written(cloud, sub, () => git(b, ['push', '-q', 'origin', 'main'], { env }));
    assert.ok(files.length >= 1, `the push wrote under ${sub}/`);
    const saved = await readFile(files[0]!);
    await flipByte(files[0]!, saved.length >> 1);
    const before = await snapshot(cloud.origin);
    const r = await git(cloud.origin, ['fetch', 'cloud-git'], { expect: [1, 128] });
    assert.match(r.stderr, sub === 'b' ? /bundle [0-9a-f]{32} of peer [0-9a-f]{8}: refused: authentication failed/ : /manifest [0-9a-f]{32}: refused: .*authentication failed/);
    assert.equal(await snapshot(cloud.origin), before);
    await writeFile(files[0]!, saved);
    await git(cloud.origin, ['fetch', '-q', 'cloud-git']);
    assert.equal((await git(cloud.origin, ['rev-parse', 'cloud-git/main'])).stdout, (await git(b, ['rev-parse', 'HEAD'])).stdout);
  }
});

test('a store that serves one authentic bundle under another\'s name is caught by the name\'s hash', async (t) => {
  const { cloud, b, env } = await twoMachines(t);
  const bundles = [...(await names(join(area(cloud), 'b'))).keys()].map((n) => join(area(cloud), 'b', n));
  await commit(b, 'b', 'two');
  const [fresh] = await written(cloud, 'b', () => git(b, ['push', '-q', 'origin', 'main'], { env }));
  await writeFile(fresh!, await readFile(bundles[0]!));
  const r = await git(cloud.origin, ['fetch', 'cloud-git'], { expect: [1, 128] });
  assert.match(r.stderr, /refused: its bytes do not hash to its name \(the store swapped or altered it\)/);
});

test('a manifest replaced by an older one of the same peer is refused as a rollback', async (t) => {
  const { cloud, b, env } = await twoMachines(t);
  const [manifest] = await written(cloud, 'm', async () => {
    await commit(b, 'b', 'two');
    await git(b, ['push', '-q', 'origin', 'main'], { env });
  });
  const old = await readFile(manifest!);
  await commit(b, 'b', 'three');
  await git(b, ['push', '-q', 'origin', 'main'], { env });
  await git(cloud.origin, ['fetch', '-q', 'cloud-git']);
  await writeFile(manifest!, old);
  const before = await snapshot(cloud.origin);
  const r = await git(cloud.origin, ['fetch', 'cloud-git'], { expect: [1, 128] });
  assert.match(r.stderr, /refused: sequence \d+ is older than \d+, already seen/);
  assert.equal(await snapshot(cloud.origin), before);
});

test('a manifest moved over another peer\'s name is refused', async (t) => {
  const { cloud, b, env } = await twoMachines(t);
  await commit(cloud.origin, 'a', 'own');
  await git(cloud.origin, ['push', '-q', 'cloud-git', 'main']);
  const manifests = [...(await names(join(area(cloud), 'm'))).keys()];
  assert.equal(manifests.length, 2);
  const [x, y] = manifests.map((n) => join(area(cloud), 'm', n)) as [string, string];
  await writeFile(y, await readFile(x));
  const r = await git(b, ['fetch', 'origin'], { env, expect: [1, 128] });
  assert.match(r.stderr, /refused: it holds peer [0-9a-f]{32}'s manifest under another peer's name/);
});

test('a store copied under another remote\'s uuid, with the same secret, does not open', async (t) => {
  const { cloud, env } = await twoMachines(t);
  const copy = join(cloud.root, 'copy');
  await cp(cloud.storeDir!, copy, { recursive: true });
  await writeFile(join(copy, 'ferry-git', 'v1', 'uuid'), '11111111-2222-3333-4444-555555555555\n');
  const r = await git(cloud.root, ['clone', `ferry::${copy}`, join(cloud.root, 'x')], { env, expect: [128] });
  assert.match(r.stderr, /refused: .*authentication failed/);
  await assert.rejects(stat(join(cloud.root, 'x')));
});

test('a bundle not there yet leaves the peer at its previous state, is applied once it arrives, and fails after the grace period', async (t) => {
  const { cloud, b, env } = await twoMachines(t);
  const previous = (await git(cloud.origin, ['rev-parse', 'cloud-git/main'])).stdout.trim();
  const [bundle] = await written(cloud, 'b', async () => {
    await commit(b, 'b', 'late');
    await git(b, ['push', '-q', 'origin', 'main'], { env });
  });
  const aside = join(cloud.root, 'aside');
  await rename(bundle!, aside);
  const r = await git(cloud.origin, ['fetch', 'cloud-git']);
  assert.match(r.stderr, /cloud incomplete: peer [0-9a-f]{8}'s sequence \d+ waits for bundle [0-9a-f]{32}/);
  assert.equal((await git(cloud.origin, ['rev-parse', 'cloud-git/main'])).stdout.trim(), previous);

  const late = await git(cloud.origin, ['-c', 'ferry.cloudIncompleteGrace=0', 'fetch', 'cloud-git'], { expect: [1, 128] });
  assert.match(late.stderr, /lists bundle [0-9a-f]{32}, which the store has not had for \d+ minutes/);

  await rename(aside, bundle!);
  await git(cloud.origin, ['fetch', '-q', 'cloud-git']);
  assert.equal((await git(cloud.origin, ['rev-parse', 'cloud-git/main'])).stdout, (await git(b, ['rev-parse', 'HEAD'])).stdout);
});

test('after the whole store is rolled back, the owner\'s next push succeeds and restores what the store lost', async (t) => {
  const { cloud, b, env } = await twoMachines(t);
  const backup = join(cloud.root, 'backup');
  await cp(cloud.storeDir!, backup, { recursive: true });
  const lostCommit = await commit(b, 'b', 'pushed after the backup');
  await git(b, ['push', '-q', 'origin', 'main'], { env });
  await git(cloud.origin, ['fetch', '-q', 'cloud-git']);
  await rm(cloud.storeDir!, { recursive: true });
  await cp(backup, cloud.storeDir!, { recursive: true });
  const refused = await git(cloud.origin, ['fetch', 'cloud-git'], { expect: [1, 128] });
  assert.match(refused.stderr, /refused: sequence 1 is older than 2, already seen/, 'a reader that saw the newer manifest refuses the old one');

  const next = await commit(b, 'b', 'after the rollback');
  const r = await git(b, ['push', 'origin', 'main'], { env });
  assert.match(r.stderr, /the store was rolled back; the next push publishes again/);
  const fresh = await cloneCloud(cloud, 'fresh');
  for (const sha of [lostCommit, next]) assert.equal((await git(fresh, ['merge-base', '--is-ancestor', sha, 'origin/main'], { expect: [0, 1] })).code, 0);
  // The reader accepts the owner's new manifest, which is newer than anything it saw.
  await git(cloud.origin, ['fetch', '-q', 'cloud-git']);
  assert.equal((await git(cloud.origin, ['rev-parse', 'cloud-git/main'])).stdout.trim(), next);
});
