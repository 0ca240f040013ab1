// The bound: the relay stays up with bounded memory after 10,000 malformed frames and a flood of
// 1,000 notices a second for 30 s, plus one hostile connection sending another 1,000/s (default limits; RSS
// read from /proc, asserted under 200 MB).
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { NoticeChannel } from '../../src/notify/notice.js';
import { RawRelayClient, startRelayServer } from '../servers/relay.js';

const MB = 1024 * 1024;
const FLOOD_SECONDS = 30;
const PUBLISHERS = 100; // each at the default sustained rate (10/s): 1,000/s in all, nearly all accepted
const SUBSCRIBERS = 50;

test('relay memory stays under 200 MB after 10k malformed frames and a 1,000/s flood for 30 s', { timeout: 180_000 }, async (t) => {
  const relay = await startRelayServer(t);
  const clients: RawRelayClient[] = [];
  t.after(() => Promise.all(clients.map((c) => c.close())));
  const open = async () => {
    const c = await RawRelayClient.open(relay.url);
    clients.push(c);
    return c;
  };

  // 10,000 malformed frames: 1,000 connections × 10 (within one burst, so every frame is read, none throttled).
  for (let i = 0; i < 1000; i++) {
    const c = await open();
    for (let j = 0; j < 10; j++) {
      const junk = randomBytes(16 + ((i + j * 17) % 240));
      junk[0] = 0; // never the magic
      c.ws.send(junk);
    }
    await c.subscribe([]); // handled after the frames: the relay reads a connection's messages in order
    await c.close();
    clients.splice(clients.indexOf(c), 1);
  }
  assert.equal((await relay.metrics()).get('ferry_relay_dropped_total{reason="malformed"}'), 10_000);

  // Subscribers on 64 channels each; the flood goes half to those channels, half to ever-new ones (retention).
  const channels = Array.from({ length: SUBSCRIBERS * 64 }, () => randomBytes(16));
  const subscribers: RawRelayClient[] = [];
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const c = await open();
    await c.subscribe(channels.slice(i * 64, (i + 1) * 64).map((b) => b.toString('hex')));
    subscribers.push(c);
  }
  const publishers: RawRelayClient[] = [];
  for (let i = 0; i < PUBLISHERS; i++) publishers.push(await open());
  const body = randomBytes(79 - 19);
  let sent = 0;
  const fakeFrame = (channel: Buffer) => Buffer.concat([Buffer.from('FN\x01', 'latin1'), channel, body, Buffer.from([sent & 0xff])]);
  // And one hostile connection sending 1,000/s on its own: throttled, cut off, back again, all the while.
  let hog = await open();
  let hogSent = 0;
  let reopening = false;
  await new Promise<void>((resolve) => {
    let ticks = 0;
    const timer = setInterval(() => {
      if (hog.ws.readyState === WebSocket.OPEN) {
        for (let i = 0; i < 100; i++, hogSent++) hog.ws.send(fakeFrame(randomBytes(16)));
      } else if (!reopening) {
        reopening = true;
        open().then((c) => { hog = c; }, () => undefined).finally(() => { reopening = false; });
      }
      for (const p of publishers) {
        if (p.ws.readyState !== WebSocket.OPEN) continue;
        const channel = sent % 2 === 0 ? channels[sent % channels.length]! : randomBytes(16);
        p.ws.send(fakeFrame(channel));
        sent++;
      }
      if (++ticks >= FLOOD_SECONDS * 10) {
        clearInterval(timer);
        resolve();
      }
    }, 100);
  });
  await publishers[0]!.subscribe([]); // a round trip: the relay has read the flood

  const rss = relay.rss();
  const m = await relay.metrics();
  t.diagnostic(`hog sent ${hogSent}, sent ${sent}, accepted ${m.get('ferry_relay_notices_in_total')}, out ${m.get('ferry_relay_notices_out_total')}, ` +
    `rate-dropped ${m.get('ferry_relay_dropped_total{reason="rate"}')}, retained ${m.get('ferry_relay_retained_frames')}, rss ${(rss / MB).toFixed(1)} MB`);
  assert.ok(sent >= FLOOD_SECONDS * 1000 * 0.9, `the flood sent ${sent} frames`);
  assert.ok(m.get('ferry_relay_dropped_total{reason="rate"}')! > hogSent / 2, 'the hog was throttled');
  assert.ok(m.get('ferry_relay_notices_in_total')! >= sent / 2, 'most of the flood was accepted and fanned out');
  assert.ok(rss < 200 * MB, `relay RSS ${(rss / MB).toFixed(1)} MB`);

  // Still serving: health, and a notice from a fresh client to a fresh subscriber.
  assert.equal((await fetch(`${relay.http}/healthz`)).status, 200);
  const ch = new NoticeChannel(randomBytes(32), randomUUID());
  const watcher = await open();
  await watcher.subscribe([ch.id]);
  const sender = await open();
  await sender.publish(ch.seal({ peer: 'a'.repeat(32), seq: 1, time: 1 }));
  await watcher.until(() => watcher.frames.length === 1, 'a notice after the flood');
  assert.equal(ch.open(watcher.frames[0]!).seq, 1);
});
