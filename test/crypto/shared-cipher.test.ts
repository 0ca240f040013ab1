import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import { hashDirLower } from '../../src/annex/index.js';
import { CipherFormatError, MAC_NAMES, SharedCipher } from '../../src/crypto/index.js';

// annex-format.md §6.4: bytes 0..255 twice, armored as gpg would, verified end to end with git-annex.
const bytes = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
const text = `${bytes.toString('base64')}\n`;
const remoteLogValue = Buffer.from(text).toString('base64');
const key = 'SHA256E-s12--a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447.txt';
const chunk2 = 'SHA256E-s3000000-S1048576-C2--6a9172702b0adb00a97f6918c886612ad535e6d4beaf51bc550712d6c41f1216.bin';

test('the §6.4 vector: remote.log value, MAC key, passphrase, object names and paths', () => {
  assert.equal(remoteLogValue.length, 916);
  assert.ok(remoteLogValue.startsWith('QUFFQ0F3UUZCZ2NJ'));
  assert.ok(remoteLogValue.endsWith('ZmIzK1BuNisvejkvdjg9Cg=='));
  const cipher = SharedCipher.fromRemoteLog(remoteLogValue);
  assert.equal(cipher.toRemoteLog(), remoteLogValue);
  const mac = cipher.macKey().toString('latin1');
  assert.equal(mac.length, 256);
  assert.ok(mac.endsWith('uru8vb6/'));
  const passphrase = cipher.passphrase().toString('latin1');
  assert.equal(passphrase.length, 428);
  assert.ok(passphrase.startsWith('wMHCw8TF'));
  assert.ok(passphrase.endsWith('+/z9/v8='));
  const name = cipher.encryptedKeyName(key);
  assert.equal(name, 'GPGHMACSHA1--58c601ead5a06eebf1b8cf00f8ebfebf4d52818c');
  assert.equal(hashDirLower(name), '474/e76');
  const c2 = cipher.encryptedKeyName(chunk2);
  assert.equal(c2, 'GPGHMACSHA1--c606a2bb329586d5acb681784c7b49d1d3dbcc1e');
  assert.equal(hashDirLower(c2), '1da/c52');
});

test('every MAC git-annex offers names objects GPG<MAC>--<hex HMAC> of the right length', () => {
  const cipher = SharedCipher.fromRemoteLog(remoteLogValue);
  const hexLength = { HMACSHA1: 40, HMACSHA224: 56, HMACSHA256: 64, HMACSHA384: 96, HMACSHA512: 128 };
  for (const mac of MAC_NAMES) {
    const name = cipher.encryptedKeyName(key, mac);
    assert.match(name, new RegExp(`^GPG${mac}--[0-9a-f]{${hexLength[mac]}}$`));
  }
  assert.throws(() => cipher.encryptedKeyName(key, 'HMACMD5' as never), CipherFormatError);
});

test('a generated cipher has the shape gpg --gen-random --armor gives git-annex and round-trips', () => {
  const a = SharedCipher.generate();
  const b = SharedCipher.generate();
  const value = a.toRemoteLog();
  assert.equal(value.length, 916);
  assert.ok(value.endsWith('Cg=='));
  assert.match(Buffer.from(value, 'base64').toString('latin1'), /^[A-Za-z0-9+/]{683}=\n$/);
  assert.equal(a.passphrase().length, 428);
  assert.ok(SharedCipher.fromRemoteLog(value).equals(a));
  assert.ok(!a.equals(b));
});

test('a malformed cipher gives a clear error that never quotes it', () => {
  const cases = [
    ['', /cipher: missing/],
    ['not base64!', /not valid base64/],
    [Buffer.from('short\n').toString('base64'), /too short/],
    [remoteLogValue.slice(0, 915), /not valid base64/],
    [Buffer.from(`${'A'.repeat(256)}\n${'B'.repeat(100)}`).toString('base64'), /too short/],
  ] as const;
  for (const [value, message] of cases) {
    assert.throws(() => SharedCipher.fromRemoteLog(value), (err: unknown) => {
      assert.ok(err instanceof CipherFormatError);
      assert.match(err.message, message);
      const everything = `${err.message} ${err.hint ?? ''} ${JSON.stringify(err.data)}`;
      if (value !== '') assert.ok(!everything.includes(value.slice(0, 12)), 'the cipher is not echoed');
      return true;
    });
  }
});

test('printing a cipher shows a placeholder, never the text', () => {
  const cipher = SharedCipher.fromRemoteLog(remoteLogValue);
  for (const shown of [String(cipher), JSON.stringify({ cipher }), inspect(cipher), inspect({ cipher }, { depth: 5 })]) {
    assert.ok(!shown.includes('AAECAwQF') && !shown.includes(remoteLogValue.slice(0, 16)), shown);
    assert.match(shown, /redacted/);
  }
});
