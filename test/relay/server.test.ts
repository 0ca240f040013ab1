import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { NoticeChannel } from '../../src/notify/notice.js';
import { ferry } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { RawRelayClient, makeCertificate, startRelayServer } from '../servers/relay.js';

const peer = 'a'.repeat(32);
const newChannel = () => new NoticeChannel(randomBytes(32), randomUUID());

async function client(t: { after(fn: () => unknown): void }, url: string, opts?: { ca?: Buffer }): Promise<RawRelayClient> {
  const c = await RawRelayClient.open(url, opts);
  t.after(() => c.close());
  return c;
}

/** The HTTP status a WebSocket handshake on `url` is answered with. */
function handshakeStatus(url: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', () => undefined);
    ws.on('open', () => {
      ws.terminate();
      reject(new Error(`${url} accepted the handshake`));
    });
  });
}

test('relay: GET /healthz is ok, GET /metrics is Prometheus text, other paths are 404', async (t) => {
  const relay = await startRelayServer(t);
  const health = await fetch(`${relay.http}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(await health.text(), 'ok\n');
  const metrics = await fetch(`${relay.http}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await metrics.text();
  for (const name of ['ferry_relay_connections', 'ferry_relay_channels', 'ferry_relay_notices_in_total', 'ferry_relay_notices_out_total',
    'ferry_relay_retained_frames', 'ferry_relay_rss_bytes']) assert.match(text, new RegExp(`^# TYPE ${name} (gauge|counter)$`, 'm'));
  assert.match(text, /^ferry_relay_dropped_total\{reason="slow"\} 0$/m);
  assert.equal((await fetch(`${relay.http}/elsewhere`)).status, 404);
  assert.equal(await handshakeStatus(`ws://127.0.0.1:${relay.port}/v2`), 404);
  assert.equal(relay.logs[0]?.msg, 'listening');
  assert.equal(relay.logs[0]?.address, '127.0.0.1');
  assert.equal(relay.logs[0]?.port, relay.port);
});

test('relay: a frame goes to every other subscriber of its channel, not back to its sender or to other channels', async (t) => {
  const relay = await startRelayServer(t);
  const ch = newChannel();
  const other = newChannel();
  const sender = await client(t, relay.url);
  const a = await client(t, relay.url);
  const b = await client(t, relay.url);
  const elsewhere = await client(t, relay.url);
  for (const c of [sender, a, b]) assert.deepEqual(await c.subscribe([ch.id]), { subscribed: [ch.id] });
  assert.deepEqual(await elsewhere.subscribe([other.id]), { subscribed: [other.id] });
  const frame = ch.seal({ peer, seq: 1, time: 1 });
  await sender.publish(frame);
  await a.until(() => a.frames.length === 1, 'the frame at a');
  await b.until(() => b.frames.length === 1, 'the frame at b');
  assert.deepEqual(a.frames[0], frame);
  // A marker on the other channel, sent after, proves `elsewhere` was not sent the first frame.
  await sender.publish(other.seal({ peer, seq: 2, time: 2 }));
  await elsewhere.until(() => elsewhere.frames.length === 1, 'the marker');
  assert.equal(other.open(elsewhere.frames[0]!).seq, 2);
  assert.deepEqual(sender.frames, []);
  const m = await relay.metrics();
  assert.equal(m.get('ferry_relay_notices_in_total'), 2);
  assert.equal(m.get('ferry_relay_notices_out_total'), 3);
  assert.equal(m.get('ferry_relay_connections'), 4);
  assert.equal(m.get('ferry_relay_channels'), 2);
  assert.ok(!JSON.stringify(relay.logs).includes(ch.id), 'logs never name a channel');
});

test('relay: a late subscriber gets the last 8 distinct frames of the channel, oldest first', async (t) => {
  const relay = await startRelayServer(t);
  const ch = newChannel();
  const publisher = await client(t, relay.url);
  const frames = Array.from({ length: 10 }, (_, i) => ch.seal({ peer, seq: i, time: i }));
  for (const f of frames) await publisher.publish(f);
  await publisher.publish(frames[5]!); // a duplicate moves to newest and takes no second slot
  const late = await client(t, relay.url);
  assert.deepEqual(await late.subscribe([ch.id]), { subscribed: [ch.id] });
  await late.until(() => late.frames.length >= 8, 'the retained frames');
  assert.deepEqual(late.frames.map((f) => ch.open(f).seq), [2, 3, 4, 6, 7, 8, 9, 5]);
  assert.equal((await relay.metrics()).get('ferry_relay_retained_frames'), 8);
});

test('relay: more channels than allowed on one connection closes it with 1008 and an error', async (t) => {
  const relay = await startRelayServer(t);
  const c = await client(t, relay.url);
  const first = Array.from({ length: 60 }, () => randomBytes(16).toString('hex'));
  assert.deepEqual(await c.subscribe(first), { subscribed: first });
  const answer = await c.subscribe(Array.from({ length: 5 }, () => randomBytes(16).toString('hex')));
  assert.match(String(answer.error), /65 channels on one connection \(at most 64\)/);
  assert.equal(await c.closed, 1008);
  assert.equal((await relay.metrics()).get('ferry_relay_dropped_total{reason="channels"}'), 1);
});

test('relay: a subscription that is not {"sub":[<32 hex>...]} closes the connection with 1008', async (t) => {
  const relay = await startRelayServer(t);
  for (const text of ['not json', '{"sub":"abc"}', '{"sub":["XYZ"]}', '[]']) {
    const c = await client(t, relay.url);
    c.ws.send(text);
    assert.equal(await c.closed, 1008, text);
    assert.match(String(c.texts[0]?.error), /expected \{"sub":\["<32 hex digits>", \.\.\.\]\}/, text);
  }
  assert.equal((await relay.metrics()).get('ferry_relay_dropped_total{reason="json"}'), 4);
});

test('relay: an oversized frame closes with 1009; a malformed one is dropped and the connection stays', async (t) => {
  const relay = await startRelayServer(t);
  const ch = newChannel();
  const watcher = await client(t, relay.url);
  await watcher.subscribe([ch.id]);
  const c = await client(t, relay.url);
  await c.publish(randomBytes(40)); // no magic
  await c.publish(Buffer.from('FN')); // too short
  await c.publish(ch.seal({ peer, seq: 1, time: 1 }));
  await watcher.until(() => watcher.frames.length === 1, 'the good frame after the malformed ones');
  assert.equal(ch.open(watcher.frames[0]!).seq, 1);
  const oversized = Buffer.concat([ch.seal({ peer, seq: 2, time: 2 }), Buffer.alloc(300)]);
  await c.publish(oversized);
  assert.equal(await c.closed, 1009);
  assert.match(String(c.texts[0]?.error), /a frame of 379 bytes \(at most 256\)/);
  const m = await relay.metrics();
  assert.equal(m.get('ferry_relay_dropped_total{reason="malformed"}'), 2);
  assert.equal(m.get('ferry_relay_dropped_total{reason="oversized"}'), 1);
  assert.equal(watcher.frames.length, 1, 'nothing malformed or oversized forwarded');
});

test('relay: a flood from one connection is throttled, then cut off, while others still get notices', async (t) => {
  const relay = await startRelayServer(t);
  const flooded = newChannel();
  const quiet = newChannel();
  const victim = await client(t, relay.url);
  await victim.subscribe([flooded.id]);
  const friend = await client(t, relay.url);
  await friend.subscribe([quiet.id]);
  const flooder = await client(t, relay.url);
  const frame = flooded.seal({ peer, seq: 1, time: 1 });
  for (let i = 0; i < 500 && flooder.ws.readyState === WebSocket.OPEN; i++) flooder.ws.send(frame);
  assert.equal(await flooder.closed, 1008);
  assert.match(String(flooder.texts[0]?.error), /more than 10 messages a second, sustained/);
  const honest = await client(t, relay.url);
  await honest.publish(quiet.seal({ peer, seq: 7, time: 7 }));
  await friend.until(() => friend.frames.length === 1, 'the honest notice');
  assert.equal(quiet.open(friend.frames[0]!).seq, 7);
  const m = await relay.metrics();
  const passed = m.get('ferry_relay_notices_in_total')! - 1;
  // The bucket lets the burst (20) and its refill through; everything else was dropped unread.
  assert.ok(passed >= 20 && passed < 60, `${passed} flood frames passed`);
  assert.ok(m.get('ferry_relay_dropped_total{reason="rate"}')! >= 100);
  await victim.until(() => victim.frames.length >= passed, 'the frames that passed');
  assert.equal(victim.frames.length, passed);
});

test('relay: a subscriber that stops reading is dropped, not buffered', async (t) => {
  const relay = await startRelayServer(t, ['--rate', '1000000', '--burst', '1000000', '--slow-consumer-bytes', '4096']);
  const ch = newChannel();
  const slow = await client(t, relay.url);
  await slow.subscribe([ch.id]);
  const socket = (slow.ws as unknown as { _socket: Socket })._socket;
  socket.pause();
  const publisher = await client(t, relay.url);
  const frame = ch.seal({ peer, seq: 1, time: 1 });
  let slowDrops = 0;
  // Kernel socket buffers take a few MB before the relay's own backlog grows: publish in batches until it acts.
  for (let batch = 0; batch < 400 && slowDrops === 0; batch++) {
    for (let i = 0; i < 2000; i++) publisher.ws.send(frame);
    await publisher.publish(frame);
    slowDrops = (await relay.metrics()).get('ferry_relay_dropped_total{reason="slow"}')!;
  }
  assert.equal(slowDrops, 1);
  socket.resume();
  assert.equal(await slow.closed, 1006, 'cut off without a closing handshake');
  assert.equal((await relay.metrics()).get('ferry_relay_connections'), 1);
  assert.ok(relay.logs.some((l) => l.msg === 'dropped a slow consumer'));
});

test('relay: connections past --max-connections are refused with 503', async (t) => {
  const relay = await startRelayServer(t, ['--max-connections', '2']);
  await client(t, relay.url);
  await client(t, relay.url);
  assert.equal(await handshakeStatus(relay.url), 503);
  assert.equal((await relay.metrics()).get('ferry_relay_dropped_total{reason="connections"}'), 1);
});

test('relay: SIGTERM and SIGINT close clients with 1001 (going away) and exit 0', async (t) => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const relay = await startRelayServer(t);
    const c = await client(t, relay.url);
    await c.subscribe([newChannel().id]);
    assert.equal(await relay.stop(signal), 0, signal);
    assert.equal(await c.closed, 1001, signal);
    assert.deepEqual(relay.logs.filter((l) => l.level === 'info').map((l) => l.msg), ['listening', 'shutting down', 'stopped'], signal);
  }
});

test('relay: --cert/--key serve wss:// and https://', async (t) => {
  const dir = await tempDir(t, 'ferry-relay-tls-');
  const { cert, key } = await makeCertificate(dir);
  const ca = await readFile(cert);
  const relay = await startRelayServer(t, ['--cert', cert, '--key', key]);
  assert.match(relay.url, /^wss:\/\//);
  assert.equal(relay.logs[0]?.tls, true);
  const body = await new Promise<string>((resolve, reject) => {
    httpsGet(`${relay.http}/healthz`, { ca }, (res) => {
      let text = '';
      res.on('data', (b: Buffer) => { text += b.toString('utf8'); });
      res.on('end', () => resolve(text));
    }).on('error', reject);
  });
  assert.equal(body, 'ok\n');
  const ch = newChannel();
  const a = await client(t, relay.url, { ca });
  const b = await client(t, relay.url, { ca });
  await b.subscribe([ch.id]);
  await a.publish(ch.seal({ peer, seq: 3, time: 3 }));
  await b.until(() => b.frames.length === 1, 'the frame over TLS');
  assert.equal(ch.open(b.frames[0]!).seq, 3);
});

test('ferry relay: command-line errors name the flag', async (t) => {
  const dir = await tempDir(t);
  const fails = async (args: string[], code: number, message: RegExp) => {
    const r = await ferry(dir, ['relay', ...args], { expect: [code] });
    assert.match(r.stderr, message, args.join(' '));
  };
  await fails(['--listen', 'a:b:c'], 2, /--listen: expected HOST:PORT, got 'a:b:c'/);
  await fails(['--listen', '[]:80'], 2, /--listen: empty IPv6 address in '\[\]:80'/);
  await fails(['--listen', '127.0.0.1:http'], 2, /--listen: port 'http' is not a number/);
  await fails(['--listen', '127.0.0.1:70000'], 2, /--listen: port 70000 is out of range \(0-65535\)/);
  await fails(['--rate', '0'], 2, /--rate: must be at least 1/);
  await fails(['--rate', 'fast'], 2, /--rate: expected a whole number, got 'fast'/);
  await fails(['--cert', 'x.crt'], 2, /--cert and --key go together/);
  await fails(['--cert', 'absent.crt', '--key', 'absent.key'], 1, /no such file: cannot read absent\.crt/);
  await fails(['extra'], 2, /unexpected argument 'extra'/);
  await fails(['--listen', '192.0.2.1:0'], 1, /cannot listen on 192\.0\.2\.1:0: no such local address/);
  const busy = await startRelayServer(t);
  await fails(['--listen', `127.0.0.1:${busy.port}`], 1, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${busy.port}: the address is in use`));
});

test('relay: warns when the open-file limit is below --max-connections', async (t) => {
  const files = Number(/^Max open files\s+(\d+)/m.exec(await readFile('/proc/self/limits', 'utf8'))![1]);
  const relay = await startRelayServer(t, ['--max-connections', String(files + 1)]);
  for (let i = 0; i < 200 && !relay.logs.some((l) => l.level === 'warn'); i++) await new Promise((r) => setTimeout(r, 25));
  const warning = relay.logs.find((l) => l.level === 'warn');
  assert.equal(warning?.msg, 'the open-file limit is below max connections; raise it with ulimit -n');
  assert.equal(warning?.open_files, files);
});
