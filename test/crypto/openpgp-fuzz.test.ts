import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import fc from 'fast-check';
import {
  IntegrityError, MalformedMessageError, SharedCipher, UnsupportedPacketError, WrongPassphraseError, closeCryptoWorkers,
} from '../../src/crypto/index.js';
import { bytes } from '../helpers/repo.js';
import { gpgOracle } from './gpg.js';
import { decrypt, encrypt } from './streams.js';

after(closeCryptoWorkers);
const passphrase = SharedCipher.generate().passphrase();
const feed = Buffer.concat([passphrase, Buffer.from('\n')]);
const plain = Buffer.concat([bytes(31, 9000), Buffer.from('compressible '.repeat(900))]);

function isOurs(err: unknown): boolean {
  return err instanceof MalformedMessageError || err instanceof IntegrityError || err instanceof UnsupportedPacketError || err instanceof WrongPassphraseError;
}

/** Decrypts `message` in chunks of `chunk`; the only acceptable outcomes are the original plaintext or one of our errors. */
async function check(message: Buffer, chunk: number): Promise<void> {
  try {
    const out = await decrypt(message, passphrase, chunk);
    assert.deepEqual(out, plain, 'a message that decrypts gives exactly the original');
  } catch (err) {
    assert.ok(isOurs(err), `unexpected ${String(err)}`);
  }
}

const mutation = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), data: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 40 }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(message: Buffer, ops: readonly Mutation[]): Buffer {
  let m = Buffer.from(message);
  for (const o of ops) {
    // Aim most edits at the headers, where the parsers make decisions.
    const at = m.length === 0 ? 0 : (o.at % 3 === 0 ? o.at % Math.min(m.length, 64) : o.at % m.length);
    if (o.op === 'flip' && m.length > 0) m[at]! ^= 1 << o.bit;
    else if (o.op === 'set' && m.length > 0) m[at] = o.value;
    else if (o.op === 'cut') m = m.subarray(0, at);
    else if (o.op === 'insert') m = Buffer.concat([m.subarray(0, at), o.data, m.subarray(at)]);
    else if (o.op === 'delete') m = Buffer.concat([m.subarray(0, at), m.subarray(at + o.count)]);
  }
  return m;
}

test('mutated messages (ours and gpg\'s, compressed or not) decrypt exactly or fail with our errors', { timeout: 300_000 }, async (t) => {
  const gpg = await gpgOracle(t);
  const seeds = [
    await encrypt(plain, passphrase),
    await gpg.encrypt(plain, feed, ['--s2k-count', '1024']),
    await gpg.encrypt(plain, feed, ['--s2k-count', '1024', '--compress-algo', 'zlib', '--cipher-algo', 'AES128']),
  ];
  for (const seed of seeds) await check(seed, 4096);
  await fc.assert(fc.asyncProperty(
    fc.integer({ min: 0, max: seeds.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 5000 }),
    async (which, ops, chunk) => check(mutate(seeds[which]!, ops), chunk),
  ), { numRuns: 300 });
});

const packet = fc.record({
  tag: fc.oneof(fc.constantFrom(1, 3, 8, 9, 10, 11, 18, 19, 20), fc.integer({ min: 0, max: 63 })),
  form: fc.constantFrom('new', 'old', 'partial', 'indeterminate'),
  body: fc.oneof(
    fc.uint8Array({ maxLength: 700 }),
    // SKESK-like bodies: version 4, AES, S2K mode 0/1/3 with a cheap count.
    fc.tuple(fc.constantFrom(7, 8, 9, 3), fc.constantFrom(0, 1, 3, 101), fc.constantFrom(2, 8, 10, 99), fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.integer({ min: 0, max: 0x40 }))
      .map(([cipher, mode, hash, salt, count]) => Uint8Array.from([4, cipher, mode, hash, ...salt, count])),
  ),
});

function frame(p: { tag: number; form: string; body: Uint8Array }): Buffer {
  const body = Buffer.from(p.body);
  if (p.form === 'old' || (p.form === 'indeterminate' && p.tag < 16)) {
    const tag = p.tag & 15;
    if (p.form === 'indeterminate') return Buffer.concat([Buffer.from([0x80 | (tag << 2) | 3]), body]);
    return Buffer.concat([Buffer.from([0x80 | (tag << 2) | 1, body.length >> 8, body.length & 0xff]), body]);
  }
  const head = Buffer.from([0xc0 | p.tag]);
  if (p.form === 'partial' && body.length >= 512) {
    return Buffer.concat([head, Buffer.from([0xe9]), body.subarray(0, 512), Buffer.from([body.length - 512 < 192 ? body.length - 512 : 0]), body.subarray(512, body.length - 512 < 192 ? body.length : 512)]);
  }
  return Buffer.concat([head, Buffer.from([0xff, 0, 0, body.length >> 8, body.length & 0xff]), body]);
}

test('random packet streams never crash or hang the reader, only our errors', { timeout: 300_000 }, async () => {
  await fc.assert(fc.asyncProperty(fc.array(packet, { maxLength: 6 }), fc.integer({ min: 1, max: 3000 }), async (packets, chunk) => {
    const message = Buffer.concat(packets.map(frame));
    await assert.rejects(decrypt(message, passphrase, chunk), (err: unknown) => isOurs(err));
  }), { numRuns: 800 });
  await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), async (data) => {
    await assert.rejects(decrypt(Buffer.from(data), passphrase, 97), (err: unknown) => isOurs(err));
  }), { numRuns: 300 });
});
