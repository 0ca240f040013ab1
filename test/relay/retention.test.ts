import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { NoticeChannel } from '../../src/notify/notice.js';
import { DEFAULT_LIMITS, limitsFromFlags, parseListen, startRelay } from '../../src/relay/index.js';
import { TokenBucket } from '../../src/relay/limits.js';
import { Retention } from '../../src/relay/retention.js';
import { RawRelayClient } from '../servers/relay.js';

const day = 24 * 3_600_000;
const frame = (n: number) => Buffer.from(`frame ${n}`);

test('retention keeps the last N distinct frames per channel; a repeated frame moves to newest', () => {
  const r = new Retention(10, 3, 7 * day, () => 0);
  for (const n of [1, 2, 3, 2, 4]) r.keep('c', frame(n));
  assert.deepEqual(r.frames('c').map(String), ['frame 3', 'frame 2', 'frame 4']);
  assert.equal(r.size, 3);
});

test('retention forgets frames after their time, and an emptied channel with them', () => {
  let clock = 0;
  const r = new Retention(10, 8, 7 * day, () => clock);
  r.keep('c', frame(1));
  clock = 6 * day;
  r.keep('c', frame(2));
  r.keep('d', frame(3));
  clock = 7 * day;
  assert.deepEqual(r.frames('c').map(String), ['frame 2']);
  clock = 13 * day + 1;
  r.sweep();
  assert.equal(r.channels, 0);
  assert.equal(r.size, 0);
});

test('retention forgets the least recently written channel past its channel limit', () => {
  const r = new Retention(2, 8, 7 * day, () => 0);
  r.keep('a', frame(1));
  r.keep('b', frame(2));
  r.keep('a', frame(3));
  r.keep('c', frame(4));
  assert.deepEqual([r.frames('a').length, r.frames('b').length, r.frames('c').length], [2, 0, 1]);
  assert.equal(r.size, 3);
});

test('token bucket: a burst, then the refill rate', () => {
  let clock = 0;
  const b = new TokenBucket(10, 20, () => clock);
  let taken = 0;
  while (b.take()) taken++;
  assert.equal(taken, 20);
  clock += 500;
  taken = 0;
  while (b.take()) taken++;
  assert.equal(taken, 5);
});

test('parseListen: HOST:PORT, HOST, :PORT, [IPv6]:PORT', () => {
  assert.deepEqual(parseListen('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseListen('relay.example'), { host: 'relay.example', port: 7080 });
  assert.deepEqual(parseListen(':9000'), { host: '0.0.0.0', port: 9000 });
  assert.deepEqual(parseListen('[::1]:9000'), { host: '::1', port: 9000 });
});

test('limitsFromFlags: hours and MB are converted, unset flags keep their defaults, zero retention is allowed', () => {
  const flags: Record<string, number> = { 'retain-hours': 2, 'max-memory-mb': 100, 'retain-channels': 0 };
  assert.deepEqual(limitsFromFlags((f) => flags[f]), { retainMs: 2 * 3_600_000, maxMemoryBytes: 100 * 1024 * 1024, retainedChannels: 0 });
  assert.equal(DEFAULT_LIMITS.maxConnections, 20_000);
});

test('relay (in process, fake clock): a retained frame is handed to late joiners for 7 days, then no more', async (t) => {
  let clock = Date.now();
  const relay = await startRelay({ host: '127.0.0.1', port: 0, now: () => clock });
  t.after(() => relay.close());
  const ch = new NoticeChannel(randomBytes(32), randomUUID());
  const publisher = await RawRelayClient.open(relay.url);
  t.after(() => publisher.close());
  await publisher.publish(ch.seal({ peer: 'a'.repeat(32), seq: 1, time: clock }));
  await publisher.subscribe([]); // answered after the publish is handled: messages are handled in order
  clock += 7 * day - 1;
  const early = await RawRelayClient.open(relay.url);
  t.after(() => early.close());
  await early.subscribe([ch.id]);
  await early.until(() => early.frames.length === 1, 'the retained frame');
  clock += 1;
  const late = await RawRelayClient.open(relay.url);
  t.after(() => late.close());
  await late.subscribe([ch.id]);
  // A frame published now arrives after any retained ones would have: the late joiner got none.
  await publisher.publish(ch.seal({ peer: 'a'.repeat(32), seq: 2, time: clock }));
  await late.until(() => late.frames.length >= 1, 'the new frame');
  assert.deepEqual(late.frames.map((f) => ch.open(f).seq), [2]);
  assert.match(relay.metrics(), /^ferry_relay_retained_frames 1$/m);
});
