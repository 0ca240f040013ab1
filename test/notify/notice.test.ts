import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { FRAME_BYTES, MAX_FRAME_BYTES, NO_PEER, NoticeChannel, NoticeError, frameChannel } from '../../src/notify/index.js';

const secret = Buffer.alloc(32, 7);
const uuid = '5c2a9f4e-0b1d-4c3e-9a8b-7f6e5d4c3b2a';
const peer = '0123456789abcdef0123456789abcdef';

test('a sealed notice opens to the same peer, seq and time, and is 79 bytes', () => {
  const channel = new NoticeChannel(secret, uuid);
  for (const n of [{ peer, seq: 0, time: 0 }, { peer, seq: Number.MAX_SAFE_INTEGER, time: 1_764_000_000_000 }, { peer: NO_PEER, seq: 0, time: 5 }]) {
    const frame = channel.seal(n);
    assert.equal(frame.length, FRAME_BYTES);
    assert.equal(FRAME_BYTES, 79);
    assert.deepEqual(channel.open(frame), n);
    assert.equal(frameChannel(frame), channel.id);
  }
  // Random nonces: the same notice never seals to the same bytes (a relay cannot tell a repeat).
  assert.notDeepEqual(channel.seal({ peer, seq: 1, time: 1 }), channel.seal({ peer, seq: 1, time: 1 }));
});

test('the channel id and peer tags are derived from the secret and the uuid, and reveal neither', () => {
  const a = new NoticeChannel(secret, uuid);
  assert.match(a.id, /^[0-9a-f]{32}$/);
  assert.equal(new NoticeChannel(secret, uuid).id, a.id);
  assert.notEqual(new NoticeChannel(secret, `${uuid.slice(0, -1)}0`).id, a.id);
  assert.notEqual(new NoticeChannel(Buffer.alloc(32, 8), uuid).id, a.id);
  assert.ok(!a.id.includes(uuid.replace(/-/g, '').slice(0, 8)));
  assert.match(a.peerTag(peer), /^[0-9a-f]{16}$/);
  assert.notEqual(a.peerTag(peer), a.peerTag('f'.repeat(32)));
  assert.notEqual(a.peerTag(peer), new NoticeChannel(Buffer.alloc(32, 8), uuid).peerTag(peer));
});

test('forged, moved, altered, truncated and future frames are refused with the reason', () => {
  const channel = new NoticeChannel(secret, uuid);
  const frame = channel.seal({ peer, seq: 3, time: 9 });
  const thief = new NoticeChannel(randomBytes(32), uuid);
  const forged = thief.seal({ peer, seq: 4, time: 9 });
  Buffer.from(channel.id, 'hex').copy(forged, 3);
  const refuse = (bytes: Uint8Array, reason: RegExp) => assert.throws(() => channel.open(bytes), (e: unknown) => e instanceof NoticeError && reason.test(e.message));
  refuse(forged, /fails authentication/);
  refuse(new NoticeChannel(secret, 'another-uuid').seal({ peer, seq: 3, time: 9 }), /another channel/);
  const moved = new NoticeChannel(secret, 'another-uuid').seal({ peer, seq: 3, time: 9 });
  Buffer.from(channel.id, 'hex').copy(moved, 3);
  refuse(moved, /fails authentication/);
  refuse(frame.subarray(0, 60), /60 bytes where version 1 has 79/);
  refuse(frame.subarray(0, 10), /a malformed frame of 10 bytes/);
  refuse(Buffer.concat([frame, Buffer.alloc(1)]), /80 bytes where version 1 has 79/);
  refuse(Buffer.alloc(MAX_FRAME_BYTES + 1), /malformed frame of 257 bytes/);
  const future = Buffer.from(frame);
  future[2] = 2;
  refuse(future, /version 2 \(this ferry reads version 1; update ferry\)/);
  for (let i = 0; i < frame.length; i++) {
    if (i === 2) continue; // the version byte, above
    const flipped = Buffer.from(frame);
    flipped[i] = flipped[i]! ^ 0x10;
    assert.throws(() => channel.open(flipped), NoticeError, `byte ${i} flipped`);
  }
});

test('sealing refuses what is not a notice', () => {
  const channel = new NoticeChannel(secret, uuid);
  assert.throws(() => channel.seal({ peer: 'alice', seq: 1, time: 0 }), /peer 'alice' is not 32 hex digits/);
  assert.throws(() => channel.seal({ peer, seq: -1, time: 0 }), /seq -1 is not a non-negative integer/);
  assert.throws(() => channel.seal({ peer, seq: 1.5, time: 0 }), /seq 1.5/);
  assert.throws(() => channel.seal({ peer, seq: 1, time: Number.NaN }), /time NaN is not a number/);
});

test('property: any bytes given to the decoder give a notice or a NoticeError, never a crash', () => {
  const channel = new NoticeChannel(secret, uuid);
  const header = channel.seal({ peer, seq: 1, time: 1 }).subarray(0, 19);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (bytes, withHeader) => {
    const input = withHeader ? Buffer.concat([header, bytes]) : Buffer.from(bytes);
    try {
      channel.open(input);
      return false; // nothing random authenticates
    } catch (err) {
      return err instanceof NoticeError;
    }
  }), { numRuns: 5000 });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
    const id = frameChannel(bytes);
    return id === undefined || /^[0-9a-f]{32}$/.test(id);
  }), { numRuns: 5000 });
});
