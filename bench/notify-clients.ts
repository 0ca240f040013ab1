// One client process of the notify fan-out benchmark (bench/notify.ts spawns several, so that the server under
// test does not share a process with its clients):
//   node dist/bench/notify-clients.js relay|mqtt URL distinct|one FIRST COUNT
// opens COUNT subscribers — WebSocket clients of `ferry relay` or mqtt.js clients of a broker (QoS 1, clean
// sessions) — on the channels distinctChannel(FIRST … FIRST+COUNT-1), or all on ONE_CHANNEL, then prints one
// JSON line {"ready","failed","errors","ms"}. Every frame received is recorded as (index, latency ms) by the
// cross-process clock (notify-wire.ts). On stdin, "report" prints {"index":[…],"latency":[…],"lost":N} (lost:
// connections that closed after they were ready); "close" closes every connection and exits.
import { createInterface } from 'node:readline';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { WebSocket } from 'ws';
import { ONE_CHANNEL, distinctChannel, mqttFilter, readStamp, wallNow } from './notify-wire.js';

/** Connection attempts in flight per process: well under the listen backlog of the servers (511 for node). */
const CONCURRENCY = 100;
const CONNECT_TIMEOUT_MS = 30_000;

type Kind = 'relay' | 'mqtt';
interface Subscriber {
  close(): void;
}

const [kind, url, mode, firstArg, countArg] = process.argv.slice(2) as [Kind, string, 'distinct' | 'one', string, string];
const first = Number(firstArg);
const count = Number(countArg);
const index: number[] = [];
const latency: number[] = [];
let ready = false;
let lost = 0;

function receive(frame: Buffer): void {
  const at = wallNow();
  const stamp = readStamp(frame);
  if (stamp === undefined) return;
  index.push(stamp.index);
  latency.push(at - stamp.sentAt);
}

function relaySubscriber(ch: string): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: CONNECT_TIMEOUT_MS });
    let subscribed = false;
    ws.on('open', () => ws.send(JSON.stringify({ sub: [ch] })));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) return receive(data);
      if (subscribed) return;
      subscribed = true;
      resolve({ close: () => ws.terminate() });
    });
    ws.on('error', (err) => { if (!subscribed) reject(err); });
    ws.on('close', (code) => {
      if (!subscribed) reject(new Error(`closed (${code}) before subscribing`));
      else if (ready) lost++;
    });
  });
}

async function mqttSubscriber(ch: string, n: number): Promise<Subscriber> {
  const client: MqttClient = mqtt.connect(url, {
    clientId: `bench-${process.pid}-${n}`, clean: true, reconnectPeriod: 0, keepalive: 30, connectTimeout: CONNECT_TIMEOUT_MS,
  });
  client.on('message', (_topic, payload) => receive(payload));
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      client.once('close', () => reject(new Error('closed before CONNACK')));
    });
    await client.subscribeAsync(mqttFilter(ch), { qos: 1 });
  } catch (err) {
    client.end(true);
    throw err;
  }
  client.on('close', () => { if (ready) lost++; });
  return { close: () => client.end(true) };
}

async function main(): Promise<void> {
  const started = Date.now();
  const subscribers: Subscriber[] = [];
  const errors = new Map<string, number>();
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const n = first + next++;
      const ch = mode === 'one' ? ONE_CHANNEL : distinctChannel(n);
      try {
        subscribers.push(kind === 'relay' ? await relaySubscriber(ch) : await mqttSubscriber(ch, n));
      } catch (err) {
        failed++;
        const msg = err instanceof Error ? err.message : String(err);
        errors.set(msg, (errors.get(msg) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
  ready = true;
  process.stdout.write(`${JSON.stringify({ ready: subscribers.length, failed, errors: Object.fromEntries(errors), ms: Date.now() - started })}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'report') {
      process.stdout.write(`${JSON.stringify({ index, latency, lost })}\n`);
    } else if (line === 'close') {
      ready = false;
      for (const s of subscribers) s.close();
      break;
    }
  }
  // Sockets, timers and stdin may still hold the loop: this process has said all it had to say.
  process.exit(0);
}

await main();
