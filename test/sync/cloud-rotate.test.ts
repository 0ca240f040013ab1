import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { CloudNames, cloudKeys, sealContext } from '../../src/cloudgit/keys.js';
import { decodeManifest } from '../../src/cloudgit/manifest.js';
import { SharedCipher, openBytes } from '../../src/crypto/index.js';
import { bytes, writeTree } from '../helpers/repo.js';
import { ferry, git, gitAnnex, jsonLines, run } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import type { AfterHook } from '../helpers/tmp.js';

const BIG = bytes(21, 300_000);
const FROM_B = bytes(22, 50_000);
const AFTER = bytes(23, 40_000);

/** The remote.log line's cipher= value of special remote `uuid`, as git-annex stores it. */
async function cipherOf(repo: string, uuid: string): Promise<string> {
  const log = (await git(repo, ['show', 'git-annex:remote.log'])).stdout;
  const line = log.split('\n').find((l) => l.startsWith(`${uuid} `));
  const cipher = /(?:^| )cipher=(\S+)/.exec(line ?? '')?.[1];
  assert.ok(cipher !== undefined, `no cipher for ${uuid} in remote.log`);
  return cipher;
}

/** Every manifest of the store opened with `secret`: store name → { seq, time }. */
async function manifests(store: string, secret: string, uuid: string): Promise<Map<string, { seq: number; time: string }>> {
  const keys = cloudKeys(SharedCipher.fromRemoteLog(secret).keyMaterial());
  const names = new CloudNames('', keys);
  const out = new Map<string, { seq: number; time: string }>();
  for (const file of await readdir(join(store, 'ferry-git', 'v1', 'm'))) {
    const name = `${names.manifests}${file}`;
    const m = decodeManifest(await readFile(join(store, name)), keys, uuid, name, (peer) => names.manifest(peer) === name);
    out.set(name, { seq: m.seq, time: m.time });
  }
  return out;
}

/** The special remote's objects in a directory store (hash folders; not cloudgit's or a rotated store's). */
async function contentNames(store: string): Promise<string[]> {
  const out: string[] = [];
  for (const top of await readdir(store)) {
    if (top === 'ferry-git' || top.startsWith('rotated-')) continue;
    for (const sub of await readdir(join(store, top))) out.push(...(await readdir(join(store, top, sub))).map((k) => `${top}/${sub}/${k}`));
  }
  return out.sort();
}

async function joined(t: AfterHook, code: string): Promise<string> {
  const root = await tempDir(t);
  await ferry(root, ['join', '-', 'repo'], { input: `${code}\n` });
  return join(root, 'repo');
}

test('cloud rotate shuts a lost device out: the old store gets nothing new, B rejoins in place and syncs, C with the old code sees nothing new', async (t) => {
  const a = join(await tempDir(t), 'photos');
  await mkdir(a);
  await git(a, ['init', '-q']);
  await ferry(a, ['init', 'machine A']);
  await writeTree(a, { 'big.bin': BIG, 'note.txt': 'hello\n' });
  await ferry(a, ['add', 'big.bin', 'note.txt']);
  await git(a, ['commit', '-q', '-m', 'files']);
  const store = join(await tempDir(t), 'store');
  await mkdir(store);
  const created = jsonLines((await ferry(a, ['cloud', 'create', 'cloud', 'type=directory', `directory=${store}`, '--json'])).stdout)[0]!;
  const oldUuid = created.uuid as string;
  await ferry(a, ['copy', '--to', 'cloud', 'big.bin']);
  await ferry(a, ['sync', 'cloud-git']);

  // B and C join with the first code; B adds a file whose content only B and the old store have.
  const b = await joined(t, created.code as string);
  const c = await joined(t, created.code as string);
  await writeFile(join(b, 'from-b.bin'), FROM_B);
  await ferry(b, ['add', 'from-b.bin']);
  await git(b, ['commit', '-q', '-m', 'from B']);
  await ferry(b, ['copy', '--to', 'cloud', 'from-b.bin']);
  await ferry(b, ['sync', 'cloud-git']);
  await ferry(a, ['sync', 'cloud-git']);
  const oldSecret = await cipherOf(a, oldUuid);
  const before = await manifests(store, oldSecret, oldUuid);
  assert.ok(before.size >= 2, 'A and B published manifests in the old store');
  const rotationStart = new Date().toISOString();
  const oldContent = await contentNames(store);

  const rotated = await ferry(a, ['cloud', 'rotate', 'cloud', '--json']);
  assert.match(rotated.stderr, /join code is a secret/);
  const r = jsonLines(rotated.stdout)[0]!;
  assert.equal(r.name, 'cloud-2');
  assert.equal(r.retired, 'cloud-git');
  assert.equal(r.copied, 2);
  const newUuid = r.uuid as string;
  const newStore = join(store, 'rotated-cloud-2');
  assert.equal((await readFile(join(newStore, 'ferry-git', 'v1', 'uuid'), 'utf8')).trim(), newUuid);
  assert.equal((await git(a, ['config', 'remote.cloud-git.ferry-retired'])).stdout.trim(), 'true');
  assert.equal((await git(a, ['config', 'remote.cloud-2-git.url'])).stdout.trim(), 'ferry::cloud-2');
  assert.match((await git(a, ['show', 'git-annex:trust.log'])).stdout, new RegExp(`^${oldUuid} X `, 'm'));
  assert.match((await gitAnnex(a, ['whereis', 'from-b.bin'])).stdout, /\[cloud-2\]/);
  assert.equal((await gitAnnex(a, ['find', '--in', 'here', 'from-b.bin'])).stdout, '', 'what rotate got only to send was dropped again');
  assert.match((await gitAnnex(a, ['fsck', '--fast', '--from', 'cloud-2', 'big.bin'])).stdout, /ok/);
  const newSecret = await cipherOf(a, newUuid);

  // A's history goes on in the new cloud only; pushing to the retired one is refused by git and by ferry sync.
  await writeFile(join(a, 'after.bin'), AFTER);
  await ferry(a, ['add', 'after.bin']);
  await git(a, ['commit', '-q', '-m', 'after rotation']);
  await ferry(a, ['copy', '--to', 'cloud-2', 'after.bin']);
  const synced = await ferry(a, ['sync']);
  assert.match(synced.stderr, /cloud-git is retired \(remote\.cloud-git\.ferry-retired=true\)/);
  const pushed = await git(a, ['push', 'cloud-git', 'main', 'git-annex'], { expect: [1] });
  assert.match(pushed.stderr, /remote\.cloud-git\.ferry-retired=true/);
  const named = await ferry(a, ['sync', 'cloud-git'], { expect: [1] });
  assert.match(named.stderr, /cloud-git is retired/);
  const viaUrl = await git(a, ['push', 'ferry::cloud', 'main:refs/heads/x'], { expect: [1] });
  assert.match(viaUrl.stderr, /ferry-retired=true/);

  // B moves in place; its old cloud is retired before the new history (and its cipher) is merged: killed
  // right after that merge, B already refuses to push to the old cloud. Run again, rejoin finishes.
  const killed = await ferry(b, ['rejoin', '-'], { input: `${r.code as string}\n`, env: { FERRY_TEST_CRASH: 'branch-commit:1' }, expect: [] });
  assert.notEqual(killed.code, 0);
  assert.ok((await git(b, ['show', 'git-annex:remote.log'])).stdout.includes(newUuid), 'killed after the merge');
  assert.equal((await git(b, ['config', 'remote.cloud-git.ferry-retired'])).stdout.trim(), 'true');
  const rejoined = await ferry(b, ['rejoin', '-'], { input: `${r.code as string}\n` });
  assert.match(rejoined.stdout, /retired \(dead in the new history; never pushed to again\): cloud-git/);
  assert.doesNotMatch(rejoined.stdout + rejoined.stderr, new RegExp((r.code as string).slice(10, 40)), 'rejoin printed the code');
  assert.equal((await git(b, ['config', 'remote.cloud-git.ferry-retired'])).stdout.trim(), 'true');
  assert.equal((await git(b, ['config', 'remote.cloud-2-git.url'])).stdout.trim(), 'ferry::cloud-2');
  assert.equal((await git(b, ['config', 'remote.cloud.annex-readonly'])).stdout.trim(), 'true');
  await ferry(b, ['get', 'after.bin']);
  assert.deepEqual(await readFile(join(b, 'after.bin')), AFTER);
  await writeFile(join(b, 'b2.txt'), 'B after rejoin\n');
  await ferry(b, ['add', 'b2.txt']);
  await git(b, ['commit', '-q', '-m', 'B after rejoin']);
  await ferry(b, ['sync', '--content']);
  await ferry(a, ['sync', '--content']);
  assert.equal(await readFile(join(a, 'b2.txt'), 'utf8'), 'B after rejoin\n');
  assert.deepEqual(await contentNames(store), oldContent, 'new content went to the old store');

  // The old store: the same manifests as before the rotation, none newer, all opening with the old secret.
  const after = await manifests(store, oldSecret, oldUuid);
  assert.deepEqual(after, before);
  for (const m of after.values()) assert.ok(m.time < rotationStart, `manifest of ${m.time} is newer than the rotation`);
  // Every bundle there, opened with the old secret and unpacked into a clone of the old cloud: no object
  // holds the new cipher or names the new remote.
  const c2 = join(await tempDir(t), 'c2');
  await run(await tempDir(t), 'git', ['clone', '-q', `ferry::${store}`, c2], { env: { FERRY_SECRET: oldSecret } });
  const bundleKey = cloudKeys(SharedCipher.fromRemoteLog(oldSecret).keyMaterial()).bundle;
  const bundleDir = join(store, 'ferry-git', 'v1', 'b');
  for (const id of await readdir(bundleDir)) {
    const plain = openBytes(bundleKey, sealContext('bundle', oldUuid), await readFile(join(bundleDir, id)), id);
    const file = join(c2, '.git', `${id}.bundle`);
    await writeFile(file, plain);
    await git(c2, ['bundle', 'unbundle', file]);
  }
  const objects = (await run(c2, 'git', ['cat-file', '--batch-all-objects', '--batch'])).stdout;
  assert.ok(objects.includes(oldUuid), 'the old history is there');
  assert.equal(objects.includes(newUuid), false, 'an object in the old store names the new remote');
  assert.equal(objects.includes(newSecret), false, 'an object in the old store holds the new cipher');

  // C, lost with the old code: syncing shows nothing new, and the old secret opens nothing in the new store.
  await ferry(c, ['sync', 'cloud-git']);
  assert.equal(await stat(join(c, 'after.bin')).then(() => true, () => false), false);
  assert.equal((await git(c, ['show', 'git-annex:remote.log'])).stdout.includes(newUuid), false);
  const peek = await run(await tempDir(t), 'git', ['clone', '-q', `ferry::${newStore}`, 'x'], { env: { FERRY_SECRET: oldSecret }, expect: [] });
  assert.notEqual(peek.code, 0);
  assert.match(peek.stderr, /refused: .*authentication failed/);
});

test('cloud rotate refuses a plaintext cloud and a retired one; show-code offers only the new cloud; a second rotate names cloud-3', async (t) => {
  const a = join(await tempDir(t), 'docs');
  await mkdir(a);
  await git(a, ['init', '-q']);
  await ferry(a, ['init', 'A']);
  await writeTree(a, { 'one.txt': 'one\n' });
  await ferry(a, ['add', 'one.txt']);
  await git(a, ['commit', '-q', '-m', 'one']);
  const root = await tempDir(t);
  await mkdir(join(root, 'plain'));
  await mkdir(join(root, 'enc'));
  await ferry(a, ['cloud', 'create', 'open', 'type=directory', `directory=${join(root, 'plain')}`, '--plaintext']);
  const plain = await ferry(a, ['cloud', 'rotate', 'open'], { expect: [1] });
  assert.match(plain.stderr, /encryption=none: it has no secret to rotate/);

  await ferry(a, ['cloud', 'create', 'cloud', 'type=directory', `directory=${join(root, 'enc')}`]);
  const first = jsonLines((await ferry(a, ['cloud', 'rotate', 'cloud', '--json'])).stdout)[0]!;
  // Run again, a rotation finishes (or re-checks) the same one: no third store.
  const rerun = jsonLines((await ferry(a, ['cloud', 'rotate', 'cloud', '--json'])).stdout)[0]!;
  assert.equal(rerun.uuid, first.uuid);
  assert.equal(rerun.resumed, true);
  const other = await ferry(a, ['cloud', 'rotate', 'cloud', 'elsewhere'], { expect: [2] });
  assert.match(other.stderr, /being rotated to cloud-2 already/);
  await ferry(a, ['cloud', 'rotate', 'cloud-2', 'x']);
  assert.equal((await git(a, ['config', 'remote.x-git.url'])).stdout.trim(), 'ferry::x');
  const stale = await ferry(a, ['cloud', 'rotate', 'cloud'], { expect: [1] });
  assert.match(stale.stderr, /cloud-2, which is retired too: rotate x/);
  const third = await ferry(a, ['cloud', 'rotate', 'x'], { expect: [0] });
  assert.match(third.stdout, /new cloud x-2/);
  const shown = await ferry(a, ['cloud', 'show-code', '--json'], { expect: [2] });
  // open (plaintext) and x-2 remain; the retired ones are not offered.
  assert.match(shown.stderr, /2 clouds \((open, x-2|x-2, open)\)/);
  const gc = await ferry(a, ['cloud', 'gc', 'cloud-git'], { expect: [1] });
  assert.match(gc.stderr, /cloud-git is a retired cloud/);
});
