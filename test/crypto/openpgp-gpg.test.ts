import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { IntegrityError, SharedCipher, UnsupportedPacketError, WrongPassphraseError, closeCryptoWorkers } from '../../src/crypto/index.js';
import { bytes } from '../helpers/repo.js';
import { gpgOracle } from './gpg.js';
import { decrypt, encrypt } from './streams.js';

after(closeCryptoWorkers);
const MiB = 1 << 20;
const cipher = SharedCipher.generate();
const passphrase = cipher.passphrase();
/** What git-annex writes to gpg's passphrase fd: cipher[256:] + LF, so the text ends in two LFs (§6.1). */
const annexFeed = Buffer.concat([passphrase, Buffer.from('\n')]);
const random = bytes(11, 3 * MiB + 123);
const text = Buffer.from('hello world, a line that compresses well\n'.repeat(60_000));

test('gpg decrypts what our writer produces, as git-annex runs it', async (t) => {
  const gpg = await gpgOracle(t);
  for (const data of [Buffer.alloc(0), Buffer.from('hello world\n'), random]) {
    const message = await encrypt(data, passphrase);
    assert.deepEqual(await gpg.decrypt(message, annexFeed), data, `${data.length} bytes`);
  }
});

test('we decrypt what gpg --symmetric --force-mdc writes, for every option git-annex users may set', async (t) => {
  const gpg = await gpgOracle(t);
  const matrix: readonly (readonly string[])[] = [
    [], // gpg's defaults: ZIP compression, AES-256, the calibrated (~65M) S2K count, 8 KiB partial lengths
    ['--compress-algo', 'zlib'],
    ['--compress-algo', 'none'],
    ['--cipher-algo', 'AES128', '--s2k-count', '65536'],
    ['--cipher-algo', 'AES192', '--s2k-count', '1024', '--compress-algo', 'zlib'],
    ['--s2k-mode', '1', '--s2k-digest-algo', 'SHA512'],
    ['--s2k-digest-algo', 'SHA256', '--s2k-count', '65011712'],
  ];
  for (const options of matrix) {
    for (const data of [random, text, Buffer.alloc(0)]) {
      const message = await gpg.encrypt(data, annexFeed, options);
      assert.deepEqual(await decrypt(message, passphrase), data, `${options.join(' ')} of ${data.length} bytes`);
    }
  }
});

test('gpg objects: BZIP2 is refused by name, a wrong passphrase and a flipped byte are told apart', async (t) => {
  const gpg = await gpgOracle(t);
  const bzip2 = await gpg.encrypt(text, annexFeed, ['--compress-algo', 'bzip2', '--s2k-count', '1024']);
  await assert.rejects(decrypt(bzip2, passphrase), (e: unknown) => e instanceof UnsupportedPacketError && /BZIP2/.test(e.message));
  const zip = await gpg.encrypt(text, annexFeed, ['--s2k-count', '1024']);
  await assert.rejects(decrypt(zip, SharedCipher.generate().passphrase()), WrongPassphraseError);
  for (const at of [60, Math.floor(zip.length / 2), zip.length - 10]) {
    const bad = Buffer.from(zip);
    bad[at]! ^= 0x01;
    // Corrupted deflate input fails zlib first; the reader still finishes the MDC and reports that.
    await assert.rejects(decrypt(bad, passphrase), IntegrityError, `byte ${at}`);
  }
});
