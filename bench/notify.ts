// Issue 14's benchmarks: change notices. Three parts:
// 1. fan-out: one publisher and many subscribers, `ferry relay` beside mosquitto (MQTT, QoS 1, retained, a
//    topic per channel as the mqtt transport uses them) — 10,000 subscribers on distinct channels with notices
//    to random channels at a steady rate, and 1,000 on one channel with a notice every 100 ms. Subscribers run
//    in client processes of their own (notify-clients.ts), servers and clients with the open-file limit
//    raised to the hard limit; the publisher is this process. Latency is taken by a cross-process clock: the
//    send time travels inside the frame (notify-wire.ts). Servers' RSS and CPU from /proc.
// 2. end-to-end latency of each real transport in this process, announce() → the other notifier's onNotice.
// 3. poll with its default settings over a directory store: probes counted over real minutes after a change
//    and idle, scaled to an hour, with pollCost()'s monthly estimate.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { WebSocket } from 'ws';
import { NoticeChannel } from '../src/notify/notice.js';
import type { ChangeNotice, Notifier } from '../src/notify/notifier.js';
import { createMqttNotifier, parseMqttSpec } from '../src/notify/transports/mqtt.js';
import { DEFAULT_POLL, createPollNotifier, pollCost } from '../src/notify/transports/poll.js';
import type { ManifestProbe } from '../src/notify/transports/poll.js';
import { createRelayNotifier, parseRelaySpec } from '../src/notify/transports/relay.js';
import { createXmppNotifier, parseXmppSpec } from '../src/notify/transports/xmpp.js';
import { DirectoryStore } from '../src/remotes/store/index.js';
import { Xorshift32, formatMiB, formatMs, formatRatio, median, table, target } from './lib.js';
import type { Benchmark, Target, Workspace } from './lib.js';
import { openFileLimit, procUsage, readClockTicks, startMosquitto, startProsody, startRelayServer, withRaisedLimit } from './notify-servers.js';
import type { ServerProcess } from './notify-servers.js';
import { ONE_CHANNEL, distinctChannel, mqttTopic, stampedFrame } from './notify-wire.js';

const P99_MS = 50;
const RSS_BYTES = 500e6;
const SEED = 20261126;
const ONE_INTERVAL_MS = 100;
const E2E_SPACING_MS = 150; // under the relay's default 10 messages a second per connection
const PEER = 'a'.repeat(32);
const clientsScript = fileURLToPath(new URL('./notify-clients.js', import.meta.url));

type Print = (line?: string) => void;
type ServerName = 'relay' | 'mosquitto';

export const benchmark: Benchmark = {
  name: 'notify',
  title: 'notify: relay fan-out beside mosquitto, end-to-end notice latency per transport, poll requests',
  async run({ ws, rounds, print }) {
    await readClockTicks();
    const parts = (process.env.FERRY_BENCH_NOTIFY_PARTS ?? 'fanout,e2e,poll').split(',');
    const targets = parts.includes('fanout') ? await fanOut(ws, rounds, print) : [];
    if (parts.includes('e2e')) await endToEnd(ws, print);
    if (parts.includes('poll')) await pollRequests(ws, print);
    return targets;
  },
};

function knob(name: string, fallback: number): number {
  const n = Number.parseInt(process.env[name] ?? String(fallback), 10);
  return Number.isInteger(n) && n >= 1 ? n : fallback;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The q-quantile (nearest rank) of sorted values; lost deliveries are in them as Infinity. */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function ms(x: number): string {
  return x === Infinity ? 'lost' : formatMs(x);
}

// ---- part 1: fan-out --------------------------------------------------------------------------------------

interface Settings {
  readonly clients: number;
  readonly one: number;
  readonly notices: number;
  readonly rate: number;
  readonly oneNotices: number;
  readonly procs: number;
}

interface CaseResult {
  readonly expected: number;
  readonly received: number;
  /** Every delivery's latency, sorted, with Infinity for each one missing. */
  readonly sorted: number[];
  /** One-channel case: per notice, the latency of its last delivery (Infinity when one is missing), sorted. */
  readonly last?: number[];
}

interface Trial {
  readonly server: ServerName;
  readonly connectMs: number;
  readonly failed: number;
  readonly rssAfterConnect: number;
  /** VmHWM after the distinct-channel case: the most the server held with all its connections. */
  readonly peakRss: number;
  readonly cpuConnect: number;
  readonly cpuDistinct: number;
  readonly cpuOne: number;
  readonly distinct: CaseResult;
  readonly one: CaseResult;
}

async function fanOut(ws: Workspace, rounds: number, print: Print): Promise<Target[]> {
  const s: Settings = {
    clients: knob('FERRY_BENCH_NOTIFY_CLIENTS', 10_000),
    one: knob('FERRY_BENCH_NOTIFY_ONE', 1000),
    notices: knob('FERRY_BENCH_NOTIFY_NOTICES', 2000),
    rate: knob('FERRY_BENCH_NOTIFY_RATE', 1000),
    oneNotices: knob('FERRY_BENCH_NOTIFY_ONE_NOTICES', 50),
    procs: knob('FERRY_BENCH_NOTIFY_PROCS', 4),
  };
  // The relay's per-connection limits (10 messages a second, bursts of 20) guard against a flood from one
  // client; this one publisher stands for thousands of peers, so it gets room for its steady rate.
  const relayArgs = ['--rate', String(2 * s.rate), '--burst', String(2 * s.rate)];
  print(`  fan-out: ${s.clients} subscribers on distinct channels, ${s.notices} notices to random channels at ${s.rate}/s; then ${s.one} subscribers on one channel, ${s.oneNotices} notices one every ${ONE_INTERVAL_MS} ms`);
  print(`  subscribers in ${s.procs} client processes; one publisher (this process); ferry relay ${relayArgs.join(' ')}; mosquitto QoS 1, retained, topic ferry/v1/<channel>/x, subscribers on ferry/v1/<channel>/+`);
  print(`  this process: open files ${openFileLimit(process.pid)} (soft/hard); servers and client processes start with the soft limit raised to the hard one`);
  const dir = await ws.dir('notify-fanout');
  const trials: Trial[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const server of ['relay', 'mosquitto'] as const) {
      const proc = server === 'relay' ? await startRelayServer(ws.env, relayArgs) : await startMosquitto(dir, ws.env);
      try {
        const t = await trial(server, proc, s, ws.env, round === 1 ? print : () => undefined);
        trials.push(t);
        print(`  round ${round}/${rounds} ${describeTrial(t)}`);
      } finally {
        await proc.stop();
      }
    }
  }

  const med = (server: ServerName, f: (t: Trial) => number) => median(trials.filter((t) => t.server === server).map(f));
  const cell = (server: ServerName, f: (t: Trial) => number) => ms(med(server, f));
  const p = (c: (t: Trial) => CaseResult, q: number) => (t: Trial) => quantile(c(t).sorted, q);
  const last = (q: number) => (t: Trial) => quantile(t.one.last ?? [], q);
  const servers: ServerName[] = ['relay', 'mosquitto'];
  print();
  print(`  medians of ${rounds} round${rounds === 1 ? '' : 's'} (latency: publisher's send → subscriber's receipt, by the wall clock both processes read)`);
  print('  CPU: the server\'s user + system seconds connecting the subscribers, and from the first notice of a case to its last receipt; RSS peak: VmHWM once the distinct case is done');
  for (const l of table(
    ['server', `${s.clients} distinct p50`, 'p99', `${s.one} on one p50`, 'p99', 'last delivery p50', 'p99', 'RSS peak', 'CPU connect', 'CPU distinct', 'CPU one'],
    servers.map((sv) => [sv, cell(sv, p((t) => t.distinct, 0.5)), cell(sv, p((t) => t.distinct, 0.99)), cell(sv, p((t) => t.one, 0.5)),
      cell(sv, p((t) => t.one, 0.99)), cell(sv, last(0.5)), cell(sv, last(0.99)), formatMiB(med(sv, (t) => t.peakRss)),
      `${med(sv, (t) => t.cpuConnect).toFixed(2)} s`, `${med(sv, (t) => t.cpuDistinct).toFixed(2)} s`, `${med(sv, (t) => t.cpuOne).toFixed(2)} s`]),
  )) print(l);

  const relayDistinct = med('relay', p((t) => t.distinct, 0.99));
  const relayOne = med('relay', p((t) => t.one, 0.99));
  const mqttDistinct = med('mosquitto', p((t) => t.distinct, 0.99));
  const mqttOne = med('mosquitto', p((t) => t.one, 0.99));
  const relayLast = med('relay', last(0.99));
  const peak = med('relay', (t) => t.peakRss);
  return [
    target(`notify: relay p99 < ${P99_MS} ms, ${s.clients} subscribers on distinct channels`, relayDistinct < P99_MS,
      `p99 ${ms(relayDistinct)}, p50 ${ms(med('relay', p((t) => t.distinct, 0.5)))} (mosquitto p99 ${ms(mqttDistinct)})`),
    target(`notify: relay p99 < ${P99_MS} ms, ${s.one} subscribers on one channel`, relayOne < P99_MS,
      `p99 ${ms(relayOne)} of every delivery, last delivery p99 ${ms(relayLast)} (mosquitto ${ms(mqttOne)}, last ${ms(med('mosquitto', last(0.99)))})`),
    target(`notify: relay no slower than mosquitto (p99), ${s.clients} on distinct channels`, relayDistinct <= mqttDistinct,
      `relay ${ms(relayDistinct)}, mosquitto ${ms(mqttDistinct)} (mosquitto / relay ${formatRatio(mqttDistinct / relayDistinct)})`),
    target(`notify: relay no slower than mosquitto (p99), ${s.one} on one channel`, relayOne <= mqttOne,
      `relay ${ms(relayOne)}, mosquitto ${ms(mqttOne)} (mosquitto / relay ${formatRatio(mqttOne / relayOne)})`),
    target(`notify: relay RSS < ${RSS_BYTES / 1e6} MB at ${s.clients} connections`, peak < RSS_BYTES,
      `${(peak / 1e6).toFixed(0)} MB peak (VmHWM); mosquitto ${(med('mosquitto', (t) => t.peakRss) / 1e6).toFixed(0)} MB`),
  ];
}

function describeTrial(t: Trial): string {
  const c = (r: CaseResult) => `${r.received}/${r.expected} delivered, p50 ${ms(quantile(r.sorted, 0.5))}, p99 ${ms(quantile(r.sorted, 0.99))}, max ${ms(r.sorted.at(-1) ?? NaN)}`;
  return `${t.server}: connected in ${formatMs(t.connectMs)}${t.failed > 0 ? ` (${t.failed} failed)` : ''}, RSS ${formatMiB(t.rssAfterConnect)} then peak ${formatMiB(t.peakRss)}, `
    + `CPU ${t.cpuConnect.toFixed(2)} s connecting, ${t.cpuDistinct.toFixed(2)} s distinct, ${t.cpuOne.toFixed(2)} s one channel; `
    + `distinct: ${c(t.distinct)}; one channel: ${c(t.one)}, last delivery p50 ${ms(quantile(t.one.last ?? [], 0.5))} p99 ${ms(quantile(t.one.last ?? [], 0.99))}`;
}

async function trial(server: ServerName, proc: ServerProcess, s: Settings, env: NodeJS.ProcessEnv, detail: Print): Promise<Trial> {
  const kind = server === 'relay' ? 'relay' : 'mqtt';
  detail(`  ${server} (pid ${proc.pid}, ${proc.url}): open files ${openFileLimit(proc.pid)} (soft/hard)`);
  const cpu0 = procUsage(proc.pid).cpuSeconds;
  const started = performance.now();
  const group = await ClientGroup.spawn(kind, proc.url, 'distinct', s.clients, s.procs, env);
  const connectMs = performance.now() - started;
  detail(`  ${server}: client processes' open files ${group.limits.join(', ')}${Object.keys(group.errors).length > 0 ? `; connection errors ${JSON.stringify(group.errors)}` : ''}`);
  const afterConnect = procUsage(proc.pid);
  const publisher = await (kind === 'relay' ? relayPublisher(proc.url) : mqttPublisher(proc.url)).catch(async (err: unknown) => {
    await group.close();
    throw err;
  });
  let distinct: CaseResult;
  let one: CaseResult;
  let afterDistinct: ReturnType<typeof procUsage>;
  let beforeOne: number;
  let afterOne: number;
  try {
    try {
      const choose = new Xorshift32(SEED);
      await paced(s.notices, s.rate, (i) => publisher.publish(distinctChannel(choose.between(0, s.clients - 1)), i));
      distinct = await collect(group, s.notices, undefined);
      afterDistinct = procUsage(proc.pid);
    } finally {
      await group.close();
    }
    const oneGroup = await ClientGroup.spawn(kind, proc.url, 'one', s.one, s.procs, env);
    try {
      beforeOne = procUsage(proc.pid).cpuSeconds;
      await paced(s.oneNotices, 1000 / ONE_INTERVAL_MS, (i) => publisher.publish(ONE_CHANNEL, i));
      one = await collect(oneGroup, s.oneNotices * s.one, { notices: s.oneNotices, subscribers: s.one });
      afterOne = procUsage(proc.pid).cpuSeconds;
    } finally {
      await oneGroup.close();
    }
  } finally {
    await publisher.close();
  }
  return {
    server, connectMs, failed: group.failed, rssAfterConnect: afterConnect.rssBytes, peakRss: afterDistinct.peakBytes,
    cpuConnect: afterConnect.cpuSeconds - cpu0, cpuDistinct: afterDistinct.cpuSeconds - afterConnect.cpuSeconds,
    cpuOne: afterOne - beforeOne, distinct, one,
  };
}

/** Calls `fn(i)` for i = 0 … count-1 at `perSecond`, each at its due time from the start (no drift). */
async function paced(count: number, perSecond: number, fn: (i: number) => void): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = start + (i * 1000) / perSecond - performance.now();
    if (wait > 0) await sleep(wait);
    fn(i);
  }
}

/**
 * The receipts of every client process once `expected` have arrived, or once none came for two seconds (what
 * is still missing then counts as lost). `one`: every notice goes to every subscriber; the last delivery of
 * each notice is its slowest one.
 */
async function collect(group: ClientGroup, expected: number, one: { notices: number; subscribers: number } | undefined): Promise<CaseResult> {
  let reports = await group.report();
  let received = reports.reduce((a, r) => a + r.index.length, 0);
  for (let quiet = 0; received < expected && quiet < 4; quiet++) {
    await sleep(500);
    reports = await group.report();
    const now = reports.reduce((a, r) => a + r.index.length, 0);
    if (now > received) quiet = -1;
    received = now;
  }
  const all: number[] = reports.flatMap((r) => r.latency);
  for (let i = received; i < expected; i++) all.push(Infinity);
  all.sort((a, b) => a - b);
  if (one === undefined) return { expected, received, sorted: all };
  const slowest = new Array<number>(one.notices).fill(-Infinity);
  const counts = new Array<number>(one.notices).fill(0);
  for (const r of reports) {
    r.index.forEach((n, k) => {
      slowest[n] = Math.max(slowest[n] ?? -Infinity, r.latency[k]!);
      counts[n] = (counts[n] ?? 0) + 1;
    });
  }
  const last = slowest.map((x, n) => ((counts[n] ?? 0) < one.subscribers ? Infinity : x)).sort((a, b) => a - b);
  return { expected, received, sorted: all, last };
}

interface Report {
  readonly index: number[];
  readonly latency: number[];
  readonly lost: number;
}

/** The client processes of one case, each with its share of the subscribers, talked to over stdin/stdout. */
class ClientGroup {
  private constructor(
    private readonly children: { child: ChildProcess; next: () => Promise<string> }[],
    readonly failed: number,
    readonly errors: Record<string, number>,
    readonly limits: string[],
  ) {}

  static async spawn(kind: 'relay' | 'mqtt', url: string, mode: 'distinct' | 'one', total: number, procs: number, env: NodeJS.ProcessEnv): Promise<ClientGroup> {
    const children: { child: ChildProcess; next: () => Promise<string> }[] = [];
    let first = 0;
    for (let k = 0; k < procs; k++) {
      const count = Math.floor(total / procs) + (k < total % procs ? 1 : 0);
      const [file, ...args] = withRaisedLimit([process.execPath, clientsScript, kind, url, mode, String(first), String(count)]) as [string, ...string[]];
      first += count;
      const child = spawn(file, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
      const stderr: string[] = [];
      child.stderr?.on('data', (b: Buffer) => { stderr.push(b.toString('utf8')); });
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      const next = async () => {
        const r = await lines.next();
        if (r.done === true) throw new Error(`a client process exited (${child.exitCode ?? child.signalCode}): ${stderr.join('').trim().slice(-500)}`);
        return r.value;
      };
      children.push({ child, next });
    }
    let failed = 0;
    const errors: Record<string, number> = {};
    const limits: string[] = [];
    try {
      for (const c of children) {
        const ready = JSON.parse(await c.next()) as { ready: number; failed: number; errors: Record<string, number> };
        failed += ready.failed;
        for (const [msg, n] of Object.entries(ready.errors)) errors[msg] = (errors[msg] ?? 0) + n;
        limits.push(openFileLimit(c.child.pid ?? -1));
      }
    } catch (err) {
      for (const c of children) c.child.kill('SIGKILL');
      throw err;
    }
    return new ClientGroup(children, failed, errors, limits);
  }

  async report(): Promise<Report[]> {
    const out: Report[] = [];
    for (const c of this.children) {
      c.child.stdin?.write('report\n');
      out.push(JSON.parse(await c.next()) as Report);
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.children.map(async ({ child }) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin?.end('close\n');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }));
  }
}

interface Publisher {
  publish(channel: string, index: number): void;
  close(): Promise<void>;
}

/** A WebSocket client of the relay that only publishes (the relay never echoes to the sender). */
async function relayPublisher(url: string): Promise<Publisher> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    publish: (channel, index) => ws.send(stampedFrame(channel, index), { binary: true }),
    close: async () => {
      const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
      ws.close(1000);
      await closed;
    },
  };
}

/** An mqtt.js client publishing as the mqtt transport does: QoS 1, retained, on the channel's topic. */
async function mqttPublisher(url: string): Promise<Publisher> {
  const client = await mqtt.connectAsync(url, { clean: true, reconnectPeriod: 0, keepalive: 30 });
  const unacked = new Set<Promise<unknown>>();
  return {
    publish: (channel, index) => {
      const p = client.publishAsync(mqttTopic(channel), stampedFrame(channel, index), { qos: 1, retain: true }).catch(() => undefined);
      unacked.add(p);
      void p.then(() => unacked.delete(p));
    },
    close: async () => {
      await Promise.all(unacked);
      await client.endAsync();
    },
  };
}

// ---- part 2: end-to-end latency per transport -------------------------------------------------------------

async function endToEnd(ws: Workspace, print: Print): Promise<void> {
  const n = knob('FERRY_BENCH_NOTIFY_E2E', 50);
  print();
  print(`  end to end: ${n} announces one every ${E2E_SPACING_MS} ms from one notifier to another on the same channel, both in this process, fresh servers with default settings (no target)`);
  const dir = await ws.dir('notify-e2e');
  const rows: string[][] = [];
  const row = (name: string, lat: readonly number[], note = '') => {
    const sorted = [...lat].sort((a, b) => a - b);
    rows.push([name, `${lat.filter(Number.isFinite).length}/${lat.length}`, ms(quantile(sorted, 0.5)), ms(quantile(sorted, 0.99)), ms(sorted.at(-1) ?? NaN), note]);
  };

  const relay = await startRelayServer(ws.env);
  try {
    row('relay', await announceLatency((channel) => createRelayNotifier(parseRelaySpec(relay.url), { channel }), n));
  } finally {
    await relay.stop();
  }
  const broker = await startMosquitto(dir, ws.env);
  try {
    row('mqtt (mosquitto)', await announceLatency((channel) => createMqttNotifier(parseMqttSpec(broker.url), { channel }), n));
  } finally {
    await broker.stop();
  }
  let prosody: Awaited<ReturnType<typeof startProsody>> | undefined;
  try {
    const pdir = join(dir, 'prosody');
    await mkdir(pdir);
    prosody = await startProsody(pdir, ws.env);
    await prosody.register('bench', 'bench password');
    const spec = parseXmppSpec(`bench@localhost,service=${prosody.url},tls=off`);
    row('xmpp (prosody)', await announceLatency((channel) => createXmppNotifier(spec, { channel, password: 'bench password' }), n));
  } catch (err) {
    rows.push(['xmpp (prosody)', 'SKIP', '', '', '', `prosody could not be used: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`]);
  } finally {
    await prosody?.stop();
  }
  const poll = await pollLatency(ws, Math.min(n, knob('FERRY_BENCH_NOTIFY_POLL_CHANGES', 10)));
  row('poll (defaults, active)', poll, `changes ${(poll.spacing / 1000).toFixed(0)} s apart: each is activity, so the interval stays at ${DEFAULT_POLL.active / 1000} s`);
  print();
  for (const l of table(['transport', 'delivered', 'p50', 'p99', 'max', ''], rows)) print(l);
}

/** Latencies (ms; Infinity for a notice that never came) of `n` announces by one notifier seen by another. */
async function announceLatency(make: (channel: NoticeChannel) => Notifier, n: number): Promise<number[]> {
  const channel = new NoticeChannel(randomBytes(32), 'bench-notify');
  const sent = new Map<number, number>();
  const latencies: number[] = [];
  const receiver = make(channel);
  const announcer = make(channel);
  try {
    await receiver.start((notice: ChangeNotice) => {
      const at = sent.get(notice.seq);
      if (notice.peer !== PEER || at === undefined) return;
      latencies.push(performance.now() - at);
      sent.delete(notice.seq);
    });
    await announcer.start(() => undefined);
    for (let seq = 1; seq <= n; seq++) {
      sent.set(seq, performance.now());
      await announcer.announce({ peer: PEER, seq, time: Date.now() });
      await sleep(E2E_SPACING_MS);
    }
    for (let waited = 0; sent.size > 0 && waited < 5000; waited += 50) await sleep(50);
    for (let i = 0; i < sent.size; i++) latencies.push(Infinity);
    return latencies;
  } finally {
    await announcer.close();
    await receiver.close();
  }
}

// ---- part 3: poll -----------------------------------------------------------------------------------------

/** A directory store standing in for the cloud: each peer's seq in `m/<peer>`, read as sync's probe would. */
async function pollStore(ws: Workspace): Promise<{ store: DirectoryStore; probe: ManifestProbe; probes: number[] }> {
  const dir = await ws.dir('notify-poll');
  const store = new DirectoryStore(dir);
  const probes: number[] = [];
  const probe: ManifestProbe = async () => {
    probes.push(performance.now());
    const out: { peer: string; seq: number }[] = [];
    for await (const e of store.list('m/')) {
      const chunks: Buffer[] = [];
      for await (const c of (await store.get(e.name)) as AsyncIterable<Buffer>) chunks.push(c);
      out.push({ peer: e.name.slice(2), seq: Number(Buffer.concat(chunks).toString('utf8')) });
    }
    return out;
  };
  return { store, probe, probes };
}

/** A change = a peer's manifest (here its seq) landing in the store; resolves with the poll notifier's delay. */
function changeAndWait(store: DirectoryStore, seen: Map<number, number>, seq: number, limitMs: number): Promise<number> {
  const start = performance.now();
  return (async () => {
    await store.put(`m/${PEER}`, { bytes: Buffer.from(String(seq)) });
    while (!seen.has(seq) && performance.now() - start < limitMs) await sleep(10);
    const at = seen.get(seq);
    return at === undefined ? Infinity : at - start;
  })();
}

/** Poll's delay (announce = the manifest written) while active: `count` changes a few seconds apart. */
async function pollLatency(ws: Workspace, count: number): Promise<number[] & { spacing: number }> {
  const { store, probe } = await pollStore(ws);
  const seen = new Map<number, number>();
  const poll = createPollNotifier(DEFAULT_POLL, { channel: new NoticeChannel(randomBytes(32), 'bench-notify'), probe });
  const spacing = 5000;
  const out: number[] = [];
  try {
    await poll.start((notice) => { if (!seen.has(notice.seq)) seen.set(notice.seq, performance.now()); });
    const jitter = new Xorshift32(SEED + 1);
    for (let seq = 1; seq <= count; seq++) {
      await sleep(jitter.between(0, DEFAULT_POLL.active)); // land anywhere in the probe interval
      const start = performance.now();
      out.push(await changeAndWait(store, seen, seq, DEFAULT_POLL.idle * 2));
      await sleep(Math.max(0, spacing - (performance.now() - start)));
    }
  } finally {
    await poll.close();
  }
  return Object.assign(out, { spacing });
}

async function pollRequests(ws: Workspace, print: Print): Promise<void> {
  const idleSeconds = knob('FERRY_BENCH_NOTIFY_POLL_IDLE_S', 120);
  const activeSeconds = DEFAULT_POLL.activeFor / 1000;
  print();
  print(`  poll, default settings (every ${DEFAULT_POLL.active / 1000} s for ${activeSeconds} s after activity, backing off to ${DEFAULT_POLL.idle / 1000} s, ±20 % jitter): probes counted in real time`);
  const { store, probe, probes } = await pollStore(ws);
  const seen = new Map<number, number>();
  const poll = createPollNotifier(DEFAULT_POLL, { channel: new NoticeChannel(randomBytes(32), 'bench-notify'), probe });
  try {
    await poll.start((notice) => { if (!seen.has(notice.seq)) seen.set(notice.seq, performance.now()); });
    // The start counts as activity: wait until the interval has backed off to the ceiling.
    while (probes.length < 2 || probes.at(-1)! - probes.at(-2)! < 0.8 * DEFAULT_POLL.idle) await sleep(500);
    const idleFrom = performance.now();
    await sleep(idleSeconds * 1000);
    const idle = probes.filter((t) => t > idleFrom).length;
    const fromIdle = await changeAndWait(store, seen, 1, DEFAULT_POLL.idle * 2);
    const changeAt = performance.now();
    await sleep(DEFAULT_POLL.activeFor);
    const active = probes.filter((t) => t > changeAt && t <= changeAt + DEFAULT_POLL.activeFor).length;
    const activePerHour = (active * 3600) / activeSeconds;
    const idlePerHour = (idle * 3600) / idleSeconds;
    print(`  idle: ${idle} probes in ${idleSeconds} s → ${idlePerHour.toFixed(0)} requests per hour; then a change, found ${ms(fromIdle)} after it landed (at most the ${DEFAULT_POLL.idle / 1000} s ceiling + 20 % + one probe)`);
    print(`  after a change: ${active} probes in the ${activeSeconds} s that follow → ${activePerHour.toFixed(0)} requests per hour while changes keep coming`);
    const oneChangeHour = active + ((3600 - activeSeconds) * idlePerHour) / 3600;
    print(`  an hour with one change: about ${oneChangeHour.toFixed(0)} requests (the ${activeSeconds} s after it, then idle; the back-off steps between are not counted)`);
  } finally {
    await poll.close();
  }
  for (const perDay of [0, 50]) {
    const c = pollCost(DEFAULT_POLL, perDay);
    print(`  pollCost(defaults, ${perDay} changes a day): ${c.requestsPerMonth.toLocaleString('en-US')} requests, $${c.usdPerMonth.toFixed(2)} a month (${c.assumption})`);
  }
}
