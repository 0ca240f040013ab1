import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { after, test } from 'node:test';
import {
  IntegrityError, MalformedMessageError, SharedCipher, UnsupportedPacketError, WrongPassphraseError, closeCryptoWorkers, decryptStream,
} from '../../src/crypto/index.js';
import { AES256, SHA256 } from '../../src/crypto/openpgp/algorithms.js';
import { decodeCount, deriveKeySync, formatIteratedS2k } from '../../src/crypto/openpgp/s2k.js';
import { bytes } from '../helpers/repo.js';
import { run } from '../helpers/run.js';
import { chunked, collect, decrypt, encrypt } from './streams.js';

after(closeCryptoWorkers);
const MiB = 1 << 20;
const passphrase = SharedCipher.generate().passphrase();

test('our writer and reader round-trip every size around the block and part boundaries', async () => {
  for (const size of [0, 1, 15, 16, 17, 511, 512, MiB - 1, MiB, MiB + 1, 5 * MiB]) {
    const data = randomBytes(size);
    for (const chunk of [65536, 7]) {
      if (chunk === 7 && size > 20_000) continue;
      const message = await encrypt(data, passphrase, chunk);
      assert.deepEqual(await decrypt(message, passphrase, chunk === 7 ? 3 : 65536), data, `size ${size}, chunks of ${chunk}`);
    }
  }
});

test('the writer emits SKESK v4 (AES-256, iterated S2K, count byte 0, fresh salt) and SEIPD v1 in 1 MiB parts', async () => {
  const data = bytes(3, 3 * MiB);
  const a = await encrypt(data, passphrase);
  const b = await encrypt(data, passphrase);
  assert.deepEqual([...a.subarray(0, 5)], [0xc3, 13, 4, AES256, 3]);
  assert.equal(a[5], SHA256);
  assert.equal(a[14], 0, 'count byte');
  assert.notDeepEqual(a.subarray(6, 14), b.subarray(6, 14), 'salt is fresh per object');
  assert.deepEqual([...a.subarray(15, 18)], [0xd2, 0xf4, 1], 'SEIPD tag, 1 MiB partial length, version 1');
  assert.equal(a[15 + 2 + MiB], 0xf4, 'the next part is 1 MiB too');
  assert.notDeepEqual(a.subarray(18, 60), b.subarray(18, 60));
});

test('the stream form decrypts, and a reader opened early derives its key before being read', async () => {
  const data = bytes(9, 2 * MiB + 5);
  const message = await encrypt(data, passphrase);
  const streams = [decryptStream(chunked(message), passphrase), decryptStream(chunked(message), passphrase)];
  for (const s of streams) assert.deepEqual(await collect(s), data);
});

test('a flipped ciphertext byte fails the MDC check at the end of the stream', async () => {
  const data = bytes(4, 200_000);
  const message = await encrypt(data, passphrase);
  for (const at of [40, 1000, 100_000, message.length - 30, message.length - 1]) {
    const bad = Buffer.from(message);
    bad[at]! ^= 0x10;
    await assert.rejects(decrypt(bad, passphrase), IntegrityError, `byte ${at}`);
  }
});

test('a truncated object is an error wherever it is cut', async () => {
  const message = await encrypt(bytes(5, 3 * MiB), passphrase);
  for (const length of [0, 1, 5, 15, 16, 17, 40, MiB, 2 * MiB + 100, message.length - 22, message.length - 1]) {
    await assert.rejects(decrypt(message.subarray(0, length), passphrase), (err: unknown) => {
      assert.ok(err instanceof MalformedMessageError || err instanceof IntegrityError, `cut at ${length}: ${String(err)}`);
      return true;
    });
  }
});

test('a wrong passphrase is told by the quick check, before any plaintext', async () => {
  const message = await encrypt(bytes(6, 100_000), passphrase);
  const wrong = SharedCipher.generate().passphrase();
  const plain = decryptStream(chunked(message), wrong);
  const received: Buffer[] = [];
  plain.on('data', (b: Buffer) => received.push(b));
  await assert.rejects(new Promise((resolve, reject) => plain.on('end', resolve).on('error', reject)), (err: unknown) => {
    assert.ok(err instanceof WrongPassphraseError);
    assert.ok(!err.message.includes(wrong.toString('latin1').slice(0, 8)));
    return true;
  });
  assert.equal(received.length, 0);
});

test('marker packets are skipped; old-format headers and session-key packets are read', async () => {
  const data = bytes(7, 70_000);
  const message = await encrypt(data, passphrase);
  const marker = Buffer.from([0xa8, 3, 0x50, 0x47, 0x50]); // old format, tag 10, "PGP"
  assert.deepEqual(await decrypt(Buffer.concat([marker, message]), passphrase), data);
  assert.deepEqual(await decrypt(Buffer.concat([message, marker]), passphrase), data);

  // The same SEIPD under a SKESK whose S2K key decrypts an encrypted session key (RFC 4880 §5.3).
  const skeskLength = 2 + message[1]!;
  const sessionKey = deriveKeySync({ mode: 3, hash: SHA256, salt: message.subarray(6, 14), count: decodeCount(0) }, passphrase, 32);
  const salt = randomBytes(8);
  const kek = deriveKeySync({ mode: 3, hash: SHA256, salt, count: decodeCount(0) }, passphrase, 16);
  const { createCipheriv } = await import('node:crypto');
  const c = createCipheriv('aes-128-cfb', kek, Buffer.alloc(16));
  const esk = Buffer.concat([c.update(Buffer.concat([Buffer.from([AES256]), sessionKey])), c.final()]);
  const body = Buffer.concat([Buffer.from([4, 7]), formatIteratedS2k(SHA256, salt, 0), esk]);
  const oldHeader = Buffer.from([0x8c, body.length]); // old format, tag 3, one-octet length
  const withEsk = Buffer.concat([oldHeader, body, message.subarray(skeskLength)]);
  assert.deepEqual(await decrypt(withEsk, passphrase), data);
  await assert.rejects(decrypt(withEsk, SharedCipher.generate().passphrase()), WrongPassphraseError);

  // S2K mode 0 (simple: the hash of the passphrase, §3.7.1.1) for the key-encryption key.
  const simpleKek = deriveKeySync({ mode: 0, hash: SHA256, salt: Buffer.alloc(0), count: 0 }, passphrase, 16);
  const c0 = createCipheriv('aes-128-cfb', simpleKek, Buffer.alloc(16));
  const esk0 = Buffer.concat([c0.update(Buffer.concat([Buffer.from([AES256]), sessionKey])), c0.final()]);
  const body0 = Buffer.concat([Buffer.from([4, 7, 0, SHA256]), esk0]);
  const simple = Buffer.concat([Buffer.from([0xc3, body0.length]), body0, message.subarray(skeskLength)]);
  assert.deepEqual(await decrypt(simple, passphrase), data);
});

test('packets ferry does not read are refused by name', async () => {
  const message = await encrypt(bytes(8, 2 * MiB), passphrase);
  const v5 = Buffer.from(message);
  v5[2] = 5;
  await assert.rejects(decrypt(v5, passphrase), (e: unknown) => e instanceof UnsupportedPacketError && /SKESK version 5/.test(e.message));
  const sed = Buffer.concat([message.subarray(0, 15), Buffer.from([0xc9, 20]), randomBytes(20)]);
  await assert.rejects(decrypt(sed, passphrase), (e: unknown) => e instanceof UnsupportedPacketError && /tag 9/.test(e.message));
  const aead = Buffer.concat([message.subarray(0, 15), Buffer.from([0xd4, 20]), randomBytes(20)]);
  await assert.rejects(decrypt(aead, passphrase), (e: unknown) => e instanceof UnsupportedPacketError && /AEAD/.test(e.message));
  const seipd2 = Buffer.from(message);
  seipd2[17] = 2;
  await assert.rejects(decrypt(seipd2, passphrase), (e: unknown) => e instanceof UnsupportedPacketError && /SEIPD version 2/.test(e.message));
  const armored = Buffer.from('-----BEGIN PGP MESSAGE-----\n');
  await assert.rejects(decrypt(armored, passphrase), (e: unknown) => e instanceof MalformedMessageError && /armor/.test(e.message));
});

test('errors of the source pass through unchanged', async () => {
  const message = await encrypt(bytes(9, 300_000), passphrase);
  const boom = new Error('disk on fire');
  async function* failing(): AsyncGenerator<Buffer> {
    yield await Promise.resolve(message.subarray(0, 100_000));
    throw boom;
  }
  await assert.rejects(collect(decryptStream(failing(), passphrase)), (e: unknown) => e === boom);
});

test('a process that used the worker threads exits on its own, without closing them', async () => {
  const index = new URL('../../src/crypto/index.js', import.meta.url).href;
  const script = `
    import { encryptMessage, decryptMessage } from ${JSON.stringify(index)};
    const pass = Buffer.from('p');
    const data = Buffer.alloc(3 << 20, 7);
    const parts = [];
    for await (const b of encryptMessage([data], pass)) parts.push(b);
    let n = 0;
    for await (const b of decryptMessage(parts, pass)) n += b.length;
    // An abandoned reader, and one left deriving a key as slow as git-annex's, must not keep it alive either.
    const abandoned = decryptMessage(parts, pass);
    await abandoned.next();
    const slow = Buffer.concat(parts);
    slow[14] = 0xff;
    decryptMessage([slow], pass);
    console.log(n);
  `;
  const { stdout } = await run(tmpdir(), process.execPath, ['--input-type=module', '-e', script]);
  assert.equal(stdout.trim(), String(3 << 20));
});
