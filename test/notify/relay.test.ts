import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { NoticeChannel } from '../../src/notify/notice.js';
import type { ChangeNotice } from '../../src/notify/notice.js';
import { NotifierClosedError, NotifierConfigError } from '../../src/notify/notifier.js';
import { createRelayNotifier, parseRelaySpec } from '../../src/notify/transports/relay.js';
import { RawRelayClient, closedPort, publishOnce, startRelayServer } from '../servers/relay.js';
import { runNotifierConformance } from './notifier-conformance.js';

runNotifierConformance('relay', async (t) => {
  const relay = await startRelayServer(t);
  const unreachable = await closedPort();
  return {
    make: (channel, now) => createRelayNotifier(parseRelaySpec(relay.url), { channel, now }),
    makeUnreachable: (channel) => createRelayNotifier(parseRelaySpec(`ws://127.0.0.1:${unreachable}`), { channel }),
    publishRaw: (_channelId, frame) => publishOnce(relay.url, frame),
    restart: () => relay.restart(),
  };
});

test('parseRelaySpec accepts ws:// and wss:// with or without /v1 and a port', () => {
  assert.deepEqual(parseRelaySpec('ws://relay.example:7080'), { url: 'ws://relay.example:7080/v1', address: 'relay.example:7080' });
  assert.deepEqual(parseRelaySpec('ws://127.0.0.1:9/v1'), { url: 'ws://127.0.0.1:9/v1', address: '127.0.0.1:9' });
  assert.deepEqual(parseRelaySpec('wss://relay.example'), { url: 'wss://relay.example:443/v1', address: 'relay.example:443' });
  assert.deepEqual(parseRelaySpec('ws://[::1]:7080/'), { url: 'ws://[::1]:7080/v1', address: '[::1]:7080' });
});

test('parseRelaySpec names the bad part of a spec', () => {
  const rejects = (spec: string, message: RegExp) =>
    assert.throws(() => parseRelaySpec(spec), (err: unknown) => err instanceof NotifierConfigError && message.test(err.message), spec);
  rejects('relay.example:7080', /relay: scheme 'relay\.example' is not ws or wss/);
  rejects('not a url', /relay: 'not a url' is not a URL such as ws:\/\/HOST:PORT/);
  rejects('ws://:7080', /relay: 'ws:\/\/:7080' is not a URL/);
  rejects('ws://relay.example:99999', /relay: '.*' is not a URL .*check the host and port/);
  rejects('http://relay.example:7080', /relay: scheme 'http' is not ws or wss/);
  rejects('ws://user:pw@relay.example:7080', /relay: a relay URL carries no user or password/);
  rejects('ws://relay.example:x', /relay: 'ws:\/\/relay\.example:x' is not a URL/);
  rejects('ws://relay.example:7080/v2', /relay: path '\/v2' is not \/v1/);
  rejects('ws://relay.example:7080/v1?key=1', /relay: '.*' has a query or fragment/);
  rejects('ws://relay.example:7080/v1#x', /relay: '.*' has a query or fragment/);
});

test('relay notifier: capabilities, and announce after close rejects', async () => {
  const n = createRelayNotifier(parseRelaySpec('ws://127.0.0.1:1'), { channel: new NoticeChannel(randomBytes(32), randomUUID()) });
  assert.deepEqual(n.capabilities, { catchUp: true, prompt: true });
  assert.equal(n.description, 'relay ws://127.0.0.1:1/v1');
  await n.close();
  await assert.rejects(n.announce({ peer: 'a'.repeat(32), seq: 1, time: 1 }), NotifierClosedError);
});

test('relay notifier: announces made while the relay is down collapse to the newest, sent after reconnect', async (t) => {
  const relay = await startRelayServer(t);
  const channel = new NoticeChannel(randomBytes(32), randomUUID());
  const sender = createRelayNotifier(parseRelaySpec(relay.url), { channel });
  t.after(() => sender.close());
  const ups: boolean[] = [];
  await sender.start(() => undefined, { connection: (up) => ups.push(up) });
  assert.equal(await relay.stop(), 0);
  await waitFor(() => ups.includes(false), 'the sender to see the drop');
  for (const seq of [1, 2, 3]) await sender.announce({ peer: 'a'.repeat(32), seq, time: Date.now() });
  await relay.restart();
  await waitFor(() => ups.filter((u) => u).length >= 2, 'the sender to reconnect', 60_000);
  // A fresh subscriber catches up on what the relay now holds: the newest announce only.
  const watcher = await RawRelayClient.open(relay.url);
  t.after(() => watcher.close());
  assert.deepEqual(await watcher.subscribe([channel.id]), { subscribed: [channel.id] });
  await watcher.until(() => watcher.frames.length >= 1, 'the caught-up frame');
  const seqs = watcher.frames.map((f) => channel.open(f).seq);
  assert.deepEqual(seqs, [3]);
});

test('relay notifier: frames over MAX_FRAME_BYTES and foreign frames go to events.dropped, never onNotice', async (t) => {
  const relay = await startRelayServer(t);
  const channel = new NoticeChannel(randomBytes(32), randomUUID());
  const receiver = createRelayNotifier(parseRelaySpec(relay.url), { channel });
  t.after(() => receiver.close());
  const got: ChangeNotice[] = [];
  const dropped: string[] = [];
  await receiver.start((n) => got.push(n), { dropped: (r) => dropped.push(r) });
  const forged = new NoticeChannel(randomBytes(32), randomUUID()).seal({ peer: 'b'.repeat(32), seq: 1, time: 1 });
  Buffer.from(channel.id, 'hex').copy(forged, 3);
  await publishOnce(relay.url, forged);
  await publishOnce(relay.url, channel.seal({ peer: 'a'.repeat(32), seq: 2, time: 2 }));
  await waitFor(() => got.length === 1, 'the genuine notice');
  assert.equal(got[0]!.seq, 2);
  assert.equal(dropped.length, 1);
  assert.match(dropped[0]!, /fails authentication/);
});

async function waitFor(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
