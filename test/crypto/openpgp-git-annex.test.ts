import assert from 'node:assert/strict';
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { hashDirLower } from '../../src/annex/index.js';
import { SharedCipher, closeCryptoWorkers } from '../../src/crypto/index.js';
import { bytes, makeRepo } from '../helpers/repo.js';
import { git, gitAnnex, run } from '../helpers/run.js';
import type { AfterHook } from '../helpers/tmp.js';
import { removeTree, tempDir } from '../helpers/tmp.js';
import { decrypt, encrypt } from './streams.js';

after(closeCryptoWorkers);
const MiB = 1 << 20;

/** git-annex runs gpg with the user's GNUPGHOME; give it a private one and stop its agent afterwards. */
async function gnupgHome(t: AfterHook): Promise<Record<string, string>> {
  const home = await mkdtemp(join(tmpdir(), 'ferry-gpg-'));
  await chmod(home, 0o700);
  t.after(async () => {
    await run(tmpdir(), 'gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { expect: [] });
    await removeTree(home);
  });
  return { GNUPGHOME: home };
}

/** The remote's cipher, read from remote.log on the git-annex branch as any reader would (§6.1). */
async function remoteCipher(repo: string, name: string): Promise<SharedCipher> {
  const log = (await git(repo, ['show', 'git-annex:remote.log'])).stdout;
  const line = log.split('\n').find((l) => l.includes(` name=${name} `));
  const value = line?.split(' ').find((f) => f.startsWith('cipher='))?.slice('cipher='.length);
  assert.ok(value, 'remote.log has the cipher');
  return SharedCipher.fromRemoteLog(value);
}

const objectPath = (dir: string, name: string) => join(dir, hashDirLower(name), name, name);

test('objects real git-annex wrote to an encryption=shared directory remote decrypt with our reader', async (t) => {
  const env = await gnupgHome(t);
  const text = Buffer.from('some text that gpg will compress\n'.repeat(20_000));
  const big = bytes(21, 3_000_000);
  const repo = await makeRepo(t, { init: 'git-annex', files: { 'text.txt': text, 'big.bin': big } });
  const whole = await tempDir(t);
  const chunked = await tempDir(t);
  await gitAnnex(repo, ['initremote', 'whole', 'type=directory', `directory=${whole}`, 'encryption=shared'], { env });
  await gitAnnex(repo, ['initremote', 'chunked', 'type=directory', `directory=${chunked}`, 'encryption=shared', 'chunk=1MiB'], { env });
  await gitAnnex(repo, ['add', '-q', 'text.txt', 'big.bin'], { env });
  await gitAnnex(repo, ['copy', '-q', '--to', 'whole', 'text.txt', 'big.bin'], { env });
  await gitAnnex(repo, ['copy', '-q', '--to', 'chunked', 'big.bin'], { env });

  const cipher = await remoteCipher(repo, 'whole');
  for (const [file, content] of [['text.txt', text], ['big.bin', big]] as const) {
    const key = (await gitAnnex(repo, ['lookupkey', file])).stdout.trim();
    const object = await readFile(objectPath(whole, cipher.encryptedKeyName(key)));
    assert.deepEqual(await decrypt(object, cipher.passphrase()), content, file);
  }

  const chunkCipher = await remoteCipher(repo, 'chunked');
  const key = (await gitAnnex(repo, ['lookupkey', 'big.bin'])).stdout.trim();
  const pieces: Buffer[] = [];
  for (let n = 1; n <= 3; n++) {
    const chunkKey = key.replace('--', `-S${MiB}-C${n}--`);
    pieces.push(await decrypt(await readFile(objectPath(chunked, chunkCipher.encryptedKeyName(chunkKey))), chunkCipher.passphrase()));
  }
  assert.deepEqual(pieces.map((p) => p.length), [MiB, MiB, 3_000_000 - 2 * MiB]);
  assert.deepEqual(Buffer.concat(pieces), big);
});

test('a git-annex remote with mac=HMACSHA512 names objects as our cipher does', async (t) => {
  const env = await gnupgHome(t);
  const repo = await makeRepo(t, { init: 'git-annex', files: { 'a.txt': 'alpha\n' } });
  const dir = await tempDir(t);
  await gitAnnex(repo, ['initremote', 'mac', 'type=directory', `directory=${dir}`, 'encryption=shared', 'mac=HMACSHA512'], { env });
  await gitAnnex(repo, ['add', '-q', 'a.txt'], { env });
  await gitAnnex(repo, ['copy', '-q', '--to', 'mac', 'a.txt'], { env });
  const cipher = await remoteCipher(repo, 'mac');
  const key = (await gitAnnex(repo, ['lookupkey', 'a.txt'])).stdout.trim();
  const name = cipher.encryptedKeyName(key, 'HMACSHA512');
  assert.match(name, /^GPGHMACSHA512--[0-9a-f]{128}$/);
  assert.equal((await decrypt(await readFile(objectPath(dir, name)), cipher.passphrase())).toString(), 'alpha\n');
});

test('real git-annex gets and fscks an object our writer encrypted', async (t) => {
  const env = await gnupgHome(t);
  const content = bytes(22, 2 * MiB + 77);
  const repo = await makeRepo(t, { init: 'git-annex', files: { 'f.bin': content } });
  const dir = await tempDir(t);
  await gitAnnex(repo, ['initremote', 'enc', 'type=directory', `directory=${dir}`, 'encryption=shared'], { env });
  await gitAnnex(repo, ['add', '-q', 'f.bin'], { env });
  await gitAnnex(repo, ['copy', '-q', '--to', 'enc', 'f.bin'], { env });
  const cipher = await remoteCipher(repo, 'enc');
  const key = (await gitAnnex(repo, ['lookupkey', 'f.bin'])).stdout.trim();
  const path = objectPath(dir, cipher.encryptedKeyName(key));
  const ours = await encrypt(content, cipher.passphrase());
  assert.notDeepEqual(ours, await readFile(path));
  await chmod(join(path, '..'), 0o755);
  await writeFile(`${path}.new`, ours);
  await rename(`${path}.new`, path);

  await gitAnnex(repo, ['drop', '-q', 'f.bin'], { env });
  await gitAnnex(repo, ['get', '-q', '--from', 'enc', 'f.bin'], { env });
  assert.deepEqual(await readFile(join(repo, 'f.bin')), content);
  await gitAnnex(repo, ['fsck', '-q', '--from', 'enc', 'f.bin'], { env });
});
