import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { OpenStream, SEAL_SEGMENT, SealError, SealStream, deriveKey, openBytes, sealBytes, sealedSize } from '../../src/crypto/index.js';

const secret = Buffer.from('a repository secret, as remote.log would hold it');
const key = deriveKey(secret, 'test/bundle');
const context = Buffer.from('bundle\0uuid-1');

function bytes(n: number, seed = 1): Buffer {
  const out = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

async function sealStreamed(payload: Buffer, padded = payload.length): Promise<Buffer> {
  const out: Buffer[] = [];
  // Many small writes, as a pipe delivers them.
  const parts = Array.from({ length: Math.ceil(payload.length / 65_536) }, (_, i) => payload.subarray(i * 65_536, (i + 1) * 65_536));
  await pipeline(Readable.from(parts), new SealStream(key, context, payload.length, padded), async (src: AsyncIterable<Buffer>) => {
    for await (const b of src) out.push(b);
  });
  return Buffer.concat(out);
}

async function openStreamed(sealed: Buffer, k = key, ctx = context): Promise<Buffer> {
  const out: Buffer[] = [];
  const parts = Array.from({ length: Math.ceil(sealed.length / 50_000) }, (_, i) => sealed.subarray(i * 50_000, (i + 1) * 50_000));
  await pipeline(Readable.from(parts), new OpenStream(k, ctx, 'test object'), async (src: AsyncIterable<Buffer>) => {
    for await (const b of src) out.push(b);
  });
  return Buffer.concat(out);
}

test('keys differ per label and per secret, and are stable', () => {
  assert.equal(key.length, 32);
  assert.deepEqual(deriveKey(secret, 'test/bundle'), key);
  assert.notDeepEqual(deriveKey(secret, 'test/manifest'), key);
  assert.notDeepEqual(deriveKey(Buffer.from('another secret'), 'test/bundle'), key);
});

test('sizes around the segment boundary round-trip, streamed and in memory, at the size sealedSize says', async () => {
  for (const n of [0, 1, SEAL_SEGMENT - 9, SEAL_SEGMENT - 8, SEAL_SEGMENT - 7, SEAL_SEGMENT, 2 * SEAL_SEGMENT + 5, 3 * SEAL_SEGMENT - 8]) {
    const payload = bytes(n, n + 1);
    const sealed = await sealStreamed(payload);
    assert.equal(sealed.length, sealedSize(n), `size of ${n}`);
    assert.ok((await openStreamed(sealed)).equals(payload), `streamed ${n}`);
    assert.ok(openBytes(key, context, sealBytes(key, context, payload), 'x').equals(payload), `in memory ${n}`);
  }
});

test('padding hides the exact size and is stripped on opening', async () => {
  const payload = bytes(1000);
  const sealed = await sealStreamed(payload, 4096);
  assert.equal(sealed.length, sealedSize(4096));
  assert.ok((await openStreamed(sealed)).equals(payload));
});

test('two seals of the same bytes differ (fresh salt), and neither shows the plaintext', () => {
  const payload = Buffer.from('refs/heads/main '.repeat(100));
  const a = sealBytes(key, context, payload);
  const b = sealBytes(key, context, payload);
  assert.notDeepEqual(a, b);
  assert.equal(a.indexOf('refs/heads'), -1);
});

test('any flipped byte, a cut, an extension, a swapped segment, a wrong key or context is refused', async () => {
  const payload = bytes(2 * SEAL_SEGMENT + 100);
  const sealed = await sealStreamed(payload);
  const refuse = async (bad: Buffer, k = key, ctx = context): Promise<void> => {
    await assert.rejects(openStreamed(bad, k, ctx), (err: unknown) => err instanceof SealError && /test object/.test((err as Error).message));
  };
  for (const at of [0, 6, 20, 40, 1000, SEAL_SEGMENT + 60, sealed.length - 1]) {
    const bad = Buffer.from(sealed);
    bad[at]! ^= 0x40;
    await refuse(bad);
  }
  await refuse(sealed.subarray(0, sealed.length - 1));
  const segment = SEAL_SEGMENT + 16;
  const header = 38;
  await refuse(sealed.subarray(0, header + 2 * segment)); // cut exactly at a segment boundary
  await refuse(Buffer.concat([sealed, Buffer.from([0])]));
  const swapped = Buffer.concat([sealed.subarray(0, header), sealed.subarray(header + segment, header + 2 * segment),
    sealed.subarray(header, header + segment), sealed.subarray(header + 2 * segment)]);
  await refuse(swapped);
  await refuse(sealed, deriveKey(secret, 'test/manifest'));
  await refuse(sealed, key, Buffer.from('bundle\0uuid-2'));
  await refuse(Buffer.alloc(10));
});

test('a payload longer or shorter than announced fails the seal', async () => {
  await assert.rejects(pipeline(Readable.from([bytes(10)]), new SealStream(key, context, 9), async function* (s: AsyncIterable<Buffer>) {
    for await (const b of s) yield b;
  }), /longer than the 9 bytes/);
  await assert.rejects(pipeline(Readable.from([bytes(10)]), new SealStream(key, context, 11), async function* (s: AsyncIterable<Buffer>) {
    for await (const b of s) yield b;
  }), /ended after 10 of 11/);
});

test('opening streams: memory stays one segment whatever the size (64 MiB through, no whole-object buffer)', async () => {
  const n = 64 * SEAL_SEGMENT;
  const hash = createHash('sha256');
  const expected = createHash('sha256');
  let sealedBytes = 0;
  function* source(): Generator<Buffer> {
    for (let i = 0; i < 64; i++) {
      const b = bytes(SEAL_SEGMENT, i);
      expected.update(b);
      yield b;
    }
  }
  const sealer = new SealStream(key, context, n);
  const opener = new OpenStream(key, context, 'big');
  let maxBuffered = 0;
  await pipeline(Readable.from(source()), sealer, async function* (s: AsyncIterable<Buffer>) {
    for await (const b of s) {
      sealedBytes += b.length;
      yield b;
    }
  }, opener, async (s: AsyncIterable<Buffer>) => {
    for await (const b of s) {
      maxBuffered = Math.max(maxBuffered, opener.readableLength + opener.writableLength);
      hash.update(b);
    }
  });
  assert.equal(sealedBytes, sealedSize(n));
  assert.equal(hash.digest('hex'), expected.digest('hex'));
  assert.ok(maxBuffered <= 4 * SEAL_SEGMENT, `buffered ${maxBuffered}`);
});
