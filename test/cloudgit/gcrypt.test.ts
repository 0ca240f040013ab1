// Side by side with git-remote-gcrypt (the Debian package) on the same history: each round two new machines
// clone, both commit, then both push. gcrypt keeps one manifest for the whole remote and every push is
// implicitly forced, so the second push replaces main and the first machine's commit is gone although its push
// exited 0. ferry gives each peer its own manifest, so the same steps lose nothing.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { git, run } from '../helpers/run.js';
import { commit, makeCloud, unreachable } from './fixture.js';

const ROUNDS = 3;

/** A git remote as another machine reaches it: the URL it clones and the environment it needs. */
interface Remote {
  readonly name: string;
  readonly url: string;
  readonly env: Record<string, string>;
}

/** A GnuPG home with one key without passphrase, and the environment that makes gcrypt encrypt and sign with it. */
async function gpgHome(dir: string): Promise<Record<string, string>> {
  await mkdir(dir, { mode: 0o700 });
  const env = { GNUPGHOME: dir };
  await run(dir, 'gpg', ['--batch', '--passphrase', '', '--quick-gen-key', 'Ferry Test <test@ferry.invalid>', 'future-default', 'default', 'never'], { env });
  const listed = (await run(dir, 'gpg', ['--batch', '--with-colons', '--list-secret-keys'], { env })).stdout;
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(listed)?.[1];
  assert.ok(fingerprint, `no key in ${listed}`);
  // Every git process (clones included) gets gcrypt.participants, as a user's global config would give it.
  return { ...env, GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'gcrypt.participants', GIT_CONFIG_VALUE_0: fingerprint };
}

/**
 * The rounds: two fresh clones commit on the same head, then push one after the other — the order makes the
 * outcome independent of timing (pushes at the same instant would also let gcrypt's two `cat >|` of its manifest
 * interleave into a torn file). Returns every commit whose push exited 0 and that git then showed as the
 * remote's main in the pushing clone.
 */
async function pushRounds(root: string, remote: Remote): Promise<string[]> {
  const pushed: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const clones = [join(root, `${remote.name}-${round}-a`), join(root, `${remote.name}-${round}-b`)];
    for (const dir of clones) await git(root, ['clone', '-q', remote.url, dir], { env: remote.env });
    const shas: string[] = [];
    for (const dir of clones) shas.push(await commit(dir, dir.slice(-1), `${remote.name} round ${round}`));
    for (const [i, dir] of clones.entries()) {
      await git(dir, ['push', '-q', 'origin', 'main'], { env: remote.env });
      assert.equal((await git(dir, ['rev-parse', 'origin/main'])).stdout.trim(), shas[i], 'git was told the push landed');
    }
    pushed.push(...shas);
  }
  return pushed;
}

/** The commits in `shas` that no branch of a fresh clone of `remote` contains. */
async function lostIn(root: string, remote: Remote, shas: readonly string[]): Promise<string[]> {
  const fresh = join(root, `${remote.name}-fresh`);
  await git(root, ['clone', '-q', remote.url, fresh], { env: remote.env });
  // gcrypt's clone may hold a lost commit's objects (it fetches every pack it lists): reachability counts.
  return unreachable(fresh, 'origin', shas, remote.env);
}

test('git-remote-gcrypt silently loses a commit when two machines push in turn; ferry loses none', async (t) => {
  const gnupgHomes: string[] = [];
  // Registered first so the agents stop before the temp directories go (after-hooks run in order).
  t.after(async () => {
    for (const home of gnupgHomes) await run('/', 'gpgconf', ['--kill', 'all'], { env: { GNUPGHOME: home }, expect: [] });
  });
  const cloud = await makeCloud(t, 'directory');
  gnupgHomes.push(join(cloud.root, 'gnupg'));
  const gcryptEnv = await gpgHome(gnupgHomes[0]!);

  // The same history in both: the cloud fixture's origin, pushed to a gcrypt remote in a local directory too.
  const gcryptDir = join(cloud.root, 'gcrypt');
  await mkdir(gcryptDir);
  await git(cloud.origin, ['remote', 'add', 'gcrypt', `gcrypt::${gcryptDir}`]);
  await git(cloud.origin, ['push', '-q', 'gcrypt', 'main', 'git-annex'], { env: gcryptEnv });

  const work = join(cloud.root, 'work');
  await mkdir(work);
  const gcrypt: Remote = { name: 'gcrypt', url: `gcrypt::${gcryptDir}`, env: gcryptEnv };
  const ferry: Remote = { name: 'ferry', url: cloud.url, env: cloud.env };

  const gcryptPushed = await pushRounds(work, gcrypt);
  const gcryptLost = await lostIn(work, gcrypt, gcryptPushed);
  t.diagnostic(`git-remote-gcrypt: ${gcryptLost.length} of ${gcryptPushed.length} pushed commits lost`);
  assert.ok(gcryptLost.length >= 1, 'gcrypt kept every commit: the loss this test shows did not happen');

  const ferryPushed = await pushRounds(work, ferry);
  const ferryLost = await lostIn(work, ferry, ferryPushed);
  t.diagnostic(`ferry: ${ferryLost.length} of ${ferryPushed.length} pushed commits lost`);
  assert.deepEqual(ferryLost, [], `ferry lost ${ferryLost.length} of ${ferryPushed.length} pushed commits`);
});
