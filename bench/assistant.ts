// Issue 15's benchmarks: the assistant. Two real `ferry assistant` processes, A (created the cloud) and B
// (joined), with s3rver behind a counting proxy as the cloud and `ferry relay` as the notifier
// (assistant-cloud.ts, assistant-pair.ts). Per round, alternating with the references:
// 1. change-to-arrival latency A → B of a small file with the relay, samples spaced so the notice hub's
//    one fetch per 2 s per peer never holds one back; where the time goes, from both assistants' events;
// 2. the incumbent: `git annex assistant` in A and B through a bare repository and a directory remote;
// 3. the same latency with poll only (`--notify none`), each change after B has been idle;
// 4. 1,000 small files copied into A at once until B has them all, beside `cp -r` of them.
// Then once: 5. one assistant's idle cost with 10,000 files in its folder, and its requests to the cloud.
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { annexSample } from './assistant-annex.js';
import type { AnnexSample } from './assistant-annex.js';
import { BUCKET, describeRequests, startBenchCloud } from './assistant-cloud.js';
import type { BenchCloud } from './assistant-cloud.js';
import { makePair, startDaemon, startPair } from './assistant-pair.js';
import type { Daemon, Pair } from './assistant-pair.js';
import { STAGES, noticeVia, stagesOf } from './assistant-stages.js';
import type { Stage } from './assistant-stages.js';
import { ByteStream, formatMiB, formatMs, formatRatio, hasGitAnnex, median, run, syncDisks, table, target, writeSmallTree } from './lib.js';
import type { Benchmark, Target, Workspace } from './lib.js';
import { procUsage, readClockTicks } from './notify-servers.js';

const P50_MS = 1000;
const P99_MS = 2000;
const POLL_MAX_MS = 30_000;
const SMALL_BYTES = 1024;
type Print = (line?: string) => void;

function knob(name: string, fallback: number): number {
  const n = Number.parseInt(process.env[name] ?? String(fallback), 10);
  return Number.isInteger(n) && n >= 1 ? n : fallback;
}

const settings = () => ({
  samples: knob('FERRY_BENCH_ASSISTANT_SAMPLES', 20),
  spacingMs: knob('FERRY_BENCH_ASSISTANT_SPACING_MS', 2500),
  pollSamples: knob('FERRY_BENCH_ASSISTANT_POLL_SAMPLES', 2),
  pollGapMs: knob('FERRY_BENCH_ASSISTANT_POLL_GAP_S', 90) * 1000,
  annexFirstMs: knob('FERRY_BENCH_ASSISTANT_ANNEX_WAIT_S', 300) * 1000,
  annexLaterMs: knob('FERRY_BENCH_ASSISTANT_ANNEX_LATER_S', 30) * 1000,
  burst: knob('FERRY_BENCH_ASSISTANT_BURST', 1000),
  burstRounds: knob('FERRY_BENCH_ASSISTANT_BURST_ROUNDS', 1),
  idleFiles: knob('FERRY_BENCH_ASSISTANT_IDLE_FILES', 10_000),
  idleMs: knob('FERRY_BENCH_ASSISTANT_IDLE_S', 120) * 1000,
  parts: (process.env.FERRY_BENCH_ASSISTANT_PARTS ?? 'relay,annex,poll,burst,idle').split(','),
});
type Settings = ReturnType<typeof settings>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The q-quantile (nearest rank) of the values; Infinity (never arrived) sorts last. */
function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

const ms = (x: number) => (x === Infinity ? 'never' : formatMs(x));

export const benchmark: Benchmark = {
  name: 'assistant',
  title: 'assistant: change-to-arrival latency A → B (relay, poll only, git annex assistant), a burst of small files, idle cost',
  async run({ ws, rounds, print }) {
    await readClockTicks();
    const s = settings();
    const cloud = await startBenchCloud(ws.env);
    try {
      print(`  cloud: s3rver behind a counting proxy (127.0.0.1:${cloud.port}, bucket ${BUCKET}, a prefix per pair); ${cloud.relay.url} (ferry relay)`);
      const annex = s.parts.includes('annex') && await hasGitAnnex(ws.env);
      const results: RoundResult[] = [];
      for (let round = 1; round <= rounds; round++) results.push(await oneRound(ws, cloud, s, round, rounds, annex, print));
      const targets = report(results, s, annex, print);
      if (s.parts.includes('idle')) await part('idle', print, () => idleCost(ws, cloud, s, print), undefined);
      return targets;
    } finally {
      await cloud.close();
    }
  },
};

// ---- one round --------------------------------------------------------------------------------------------

interface Sample {
  readonly ms: number;
  readonly stages: Map<Stage, number>;
  readonly via: string | undefined;
}

interface RoundResult {
  readonly relay: Sample[];
  readonly poll: Sample[];
  readonly annex: AnnexSample | undefined;
  readonly burstMs: number | undefined;
  readonly cpMs: number | undefined;
}

/**
 * One part of a round; a failure (an assistant that exited, a setup that failed) is printed and the part
 * left out, so the other parts' figures still reach the report.
 */
async function part<T>(what: string, print: Print, fn: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    print(`  ${what}: ERROR, left out: ${err instanceof Error ? err.message.split('\n')[0]!.slice(0, 600) : String(err)}`);
    return fallback;
  }
}

async function oneRound(ws: Workspace, cloud: BenchCloud, s: Settings, round: number, rounds: number, withAnnex: boolean, print: Print): Promise<RoundResult> {
  const bytes = new ByteStream(`assistant-${round}`);
  const r = await part(`round ${round}/${rounds} relay and burst`, print, () => relayAndBurst(ws, cloud, s, round, rounds, bytes, print), { relay: [], burstMs: undefined, cpMs: undefined });
  const annex = !withAnnex ? undefined : await part(`round ${round}/${rounds} git annex assistant`, print, async () => {
    await syncDisks();
    const bound = round === 1 ? s.annexFirstMs : s.annexLaterMs;
    const x = await annexSample(ws, `r${round}-annex`, bytes.next(SMALL_BYTES), bound);
    print(`  round ${round}/${rounds} git annex assistant: A committed after ${ms(x.commitMs)}, pushed to origin after ${ms(x.pushMs)}; `
      + `B ${x.arrivalMs === Infinity ? `had not the file after ${formatMs(bound)}` : `had the bytes after ${ms(x.arrivalMs)}`} (B ${x.merged ? 'merged' : 'never merged'} the commit)`);
    return x;
  }, undefined);
  const poll = !s.parts.includes('poll') ? [] : await part(`round ${round}/${rounds} poll only`, print, async () => {
    const pair = await makePair(ws, cloud, `r${round}-poll`, 'none');
    const d = await startPair(pair, 'none');
    try {
      const xs = await latencySamples(pair, d, `r${round}-poll`, s.pollSamples, 0, s.pollGapMs, bytes, 120_000);
      print(`  round ${round}/${rounds} poll only: ${xs.map((x) => ms(x.ms)).join(', ')} (each after B had been idle ${s.pollGapMs / 1000} s); via ${viaSummary(xs)}`);
      return xs;
    } finally {
      await Promise.all([d.a.stop(), d.b.stop()]);
    }
  }, [] as Sample[]);
  return { ...r, annex, poll };
}

async function relayAndBurst(ws: Workspace, cloud: BenchCloud, s: Settings, round: number, rounds: number, bytes: ByteStream, print: Print): Promise<Pick<RoundResult, 'relay' | 'burstMs' | 'cpMs'>> {
  let relay: Sample[] = [];
  let burstMs: number | undefined;
  let cpMs: number | undefined;
  const withBurst = s.parts.includes('burst') && round <= s.burstRounds;
  if (s.parts.includes('relay') || withBurst) {
    const pair = await makePair(ws, cloud, `r${round}-relay`, 'relay');
    const d = await startPair(pair, 'relay');
    try {
      if (s.parts.includes('relay')) {
        relay = await latencySamples(pair, d, `r${round}`, s.samples, s.spacingMs, 0, bytes, 60_000);
        const sorted = relay.map((x) => x.ms);
        print(`  round ${round}/${rounds} relay: ${relay.length} samples, p50 ${ms(quantile(sorted, 0.5))}, p99 ${ms(quantile(sorted, 0.99))}, max ${ms(Math.max(...sorted))}; via ${viaSummary(relay)}`);
      }
      if (withBurst) {
        const b = await burst(ws, cloud, pair, d, round, s.burst);
        burstMs = b.ferryMs;
        cpMs = b.cpMs;
        print(`  round ${round}/${rounds} burst: ${s.burst} files on B after ${ms(b.ferryMs)}, cp -r ${formatMs(b.cpMs)}; ${b.detail}`);
      }
    } finally {
      await Promise.all([d.a.stop(), d.b.stop()]);
    }
  }
  return { relay, burstMs, cpMs };
}

function viaSummary(samples: readonly Sample[]): string {
  const by = new Map<string, number>();
  for (const x of samples) by.set(x.via ?? 'no notice', (by.get(x.via ?? 'no notice') ?? 0) + 1);
  return [...by.entries()].map(([k, n]) => `${k} ${n}`).join(', ');
}

/**
 * `count` small files written in A one at a time, each timed until B's file has the same bytes. The next
 * starts `spacingMs` after the previous one started, and `gapMs` after it arrived (B idle that long).
 */
async function latencySamples(pair: Pair, d: { a: Daemon; b: Daemon }, label: string, count: number, spacingMs: number, gapMs: number,
  bytes: ByteStream, limitMs: number): Promise<Sample[]> {
  const out: Sample[] = [];
  let lastStart = 0;
  for (let i = 1; i <= count; i++) {
    await sleep(Math.max(gapMs, lastStart + spacingMs - performance.now()));
    await syncDisks();
    const name = `${label}-s${String(i).padStart(2, '0')}.bin`;
    const data = bytes.next(SMALL_BYTES);
    const t0 = Date.now();
    lastStart = performance.now();
    await writeFile(join(pair.a, name), data);
    let arrival = Infinity;
    while (performance.now() - lastStart < limitMs) {
      d.a.assertAlive();
      d.b.assertAlive();
      if ((await readFile(join(pair.b, name)).catch(() => undefined))?.equals(data) === true) {
        arrival = performance.now() - lastStart;
        break;
      }
      await sleep(10);
    }
    // Events of the last moments may still be on their way through the pipes.
    await sleep(100);
    out.push({ ms: arrival, stages: stagesOf(d.a.events, d.b.events, name, t0, arrival), via: noticeVia(d.b.events, t0) });
  }
  return out;
}

// ---- the burst --------------------------------------------------------------------------------------------

async function burst(ws: Workspace, cloud: BenchCloud, pair: Pair, d: { a: Daemon; b: Daemon }, round: number, files: number): Promise<{ ferryMs: number; cpMs: number; detail: string }> {
  const staging = await ws.dir(`r${round}-burst-src`);
  writeSmallTree(staging, files, 20261126 + round);
  const expected = new Map<string, Buffer>();
  for (const e of await readdir(staging, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) expected.set(relative(staging, join(e.parentPath, e.name)), await readFile(join(e.parentPath, e.name)));
  }
  const sub = `burst-${round}`;
  await syncDisks();
  const start = performance.now();
  const lastEvent = [d.a.events.at(-1)?.id ?? 0, d.b.events.at(-1)?.id ?? 0] as const;
  await run(['cp', '-r', staging, join(pair.a, sub)], { cwd: ws.root, env: ws.env });
  let ferryMs = Infinity;
  while (performance.now() - start < 15 * 60_000) {
    d.a.assertAlive();
    d.b.assertAlive();
    if (await allThere(join(pair.b, sub), expected)) {
      ferryMs = performance.now() - start;
      break;
    }
    await sleep(100);
  }
  const end = performance.now();
  const commits = d.a.events.filter((e) => e.id > lastEvent[0] && e.type === 'committed');
  const added = commits.reduce((n, e) => n + (e.type === 'committed' ? e.added : 0), 0);
  const downloads = d.b.events.filter((e) => e.id > lastEvent[1] && e.type === 'transfer-done' && e.ok).length;
  const pulls = d.b.events.filter((e) => e.id > lastEvent[1] && e.type === 'pulled').length;
  const reqs = describeRequests(cloud.requests, start, end);
  // The reference: the same files copied to another folder (the physical cost of creating them).
  const ref = await ws.dir(`r${round}-burst-cp`);
  await syncDisks();
  const cp = await run(['cp', '-r', staging, join(ref, sub)], { cwd: ws.root, env: ws.env });
  for (const dir of [staging, ref]) await ws.remove(dir);
  return {
    ferryMs, cpMs: cp.ms,
    detail: `A: ${commits.length} commits adding ${added}; B: ${pulls} pulls, ${downloads} downloads; store requests meanwhile ${reqs.text}`,
  };
}

/** Whether every expected file is in `dir` with its bytes (sizes first: cheap while most are missing). */
async function allThere(dir: string, expected: Map<string, Buffer>): Promise<boolean> {
  for (const [rel, data] of expected) {
    const st = await stat(join(dir, rel)).catch(() => undefined);
    if (st?.size !== data.length) return false;
  }
  for (const [rel, data] of expected) {
    if ((await readFile(join(dir, rel)).catch(() => undefined))?.equals(data) !== true) return false;
  }
  return true;
}

// ---- the report -------------------------------------------------------------------------------------------

function report(results: readonly RoundResult[], s: Settings, withAnnex: boolean, print: Print): Target[] {
  const targets: Target[] = [];
  const relay = results.flatMap((r) => r.relay);
  const poll = results.flatMap((r) => r.poll);
  if (relay.length > 0 || poll.length > 0) {
    print();
    print('  where the time goes: each stage\'s end after the write in A, in ms (median over the samples; from both assistants\' events)');
    const col = (xs: readonly Sample[], stage: Stage) => {
      const v = xs.map((x) => x.stages.get(stage)).filter((x): x is number => x !== undefined && Number.isFinite(x));
      return v.length === 0 ? '—' : `${formatMs(median(v))}${v.length < xs.length ? ` (${v.length}/${xs.length})` : ''}`;
    };
    const slowest = relay.reduce<Sample | undefined>((m, x) => (m === undefined || x.ms > m.ms ? x : m), undefined);
    const one = (st: Stage) => { const v = slowest?.stages.get(st); return v === undefined || !Number.isFinite(v) ? '—' : formatMs(v); };
    for (const l of table(['stage', 'relay', 'relay, slowest sample', 'poll only'], STAGES.map((st) => [st, col(relay, st), one(st), col(poll, st)]))) print(l);
  }
  if (relay.length > 0) {
    const p50s = results.map((r) => quantile(r.relay.map((x) => x.ms), 0.5));
    const p99s = results.map((r) => quantile(r.relay.map((x) => x.ms), 0.99));
    const [p50, p99] = [median(p50s), median(p99s)];
    const all = relay.map((x) => x.ms);
    print();
    print(`  relay: per round p50 ${p50s.map(ms).join(', ')}; p99 ${p99s.map(ms).join(', ')}; all ${all.length} samples p50 ${ms(quantile(all, 0.5))} p99 ${ms(quantile(all, 0.99))} max ${ms(Math.max(...all))}`);
    targets.push(
      target(`assistant: latency A → B with the relay, p50 < ${formatMs(P50_MS)}`, p50 < P50_MS, `p50 ${ms(p50)} (median of ${results.length} rounds of ${s.samples}; all samples ${ms(quantile(all, 0.5))})`),
      target(`assistant: latency A → B with the relay, p99 < ${formatMs(P99_MS)}`, p99 < P99_MS, `p99 ${ms(p99)} (median of ${results.length} rounds; all samples ${ms(quantile(all, 0.99))}, max ${ms(Math.max(...all))})`),
    );
  }
  if (poll.length > 0) {
    const all = poll.map((x) => x.ms);
    const max = Math.max(...all);
    print(`  poll only: ${all.length} samples, p50 ${ms(quantile(all, 0.5))}, max ${ms(max)}`);
    targets.push(target(`assistant: latency A → B with poll only ≤ ${formatMs(POLL_MAX_MS)}`, max <= POLL_MAX_MS,
      `max ${ms(max)}, p50 ${ms(quantile(all, 0.5))} of ${all.length} samples, each after B was idle ${s.pollGapMs / 1000} s`));
  }
  const annex = results.map((r) => r.annex).filter((x): x is AnnexSample => x !== undefined);
  if (annex.length > 0) {
    print(`  git annex assistant: A's commit ${annex.map((x) => ms(x.commitMs)).join(', ')}; A's push ${annex.map((x) => ms(x.pushMs)).join(', ')}; `
      + `B: ${annex.map((x) => (x.arrivalMs === Infinity ? `nothing in ${formatMs(x.boundMs)}` : ms(x.arrivalMs))).join(', ')}`);
  } else if (s.parts.includes('annex') && !withAnnex) print('  git annex assistant: skipped (git-annex not installed)');
  const bursts = results.filter((r) => r.burstMs !== undefined);
  if (bursts.length > 0) {
    const f = median(bursts.map((r) => r.burstMs!));
    const c = median(bursts.map((r) => r.cpMs!));
    print();
    for (const l of table([`${s.burst} files`, 'median', 'min', 'max', 'runs'], [
      ['ferry A → B', ms(f), ms(Math.min(...bursts.map((r) => r.burstMs!))), ms(Math.max(...bursts.map((r) => r.burstMs!))), String(bursts.length)],
      ['cp -r', formatMs(c), formatMs(Math.min(...bursts.map((r) => r.cpMs!))), formatMs(Math.max(...bursts.map((r) => r.cpMs!))), String(bursts.length)],
    ])) print(l);
    print(`  ferry A → B / cp -r: ${formatRatio(f / c)} (no target; ${formatMs((f / s.burst) * 1000)} per 1000 files end to end)`);
  }
  return targets;
}

// ---- idle cost --------------------------------------------------------------------------------------------

async function idleCost(ws: Workspace, cloud: BenchCloud, s: Settings, print: Print): Promise<void> {
  const env = { ...ws.env, ...cloud.keys };
  const dir = await ws.dir('idle-alice');
  const opts = { cwd: dir, env };
  await run(['git', 'init', '-q'], opts);
  await run(['ferry', 'init', 'alice'], opts);
  const tree = writeSmallTree(dir, s.idleFiles, 20261127);
  await run(['ferry', 'add', '.'], opts);
  await run(['git', 'commit', '-q', '-m', 'add'], opts);
  await run(['ferry', 'cloud', 'create', 'cloud', 'type=S3', 'host=127.0.0.1', `port=${cloud.port}`, 'protocol=http', `bucket=${BUCKET}`,
    'fileprefix=idle/', '--embed-credentials', '--notify', `relay=${cloud.relay.url}`], opts);
  // Uploading 10,000 files first would take s3rver here most of an hour (the burst shows the rate); what
  // idle costs does not depend on where the content is, so the cloud wants only what it has.
  await run(['ferry', 'wanted', 'cloud', 'present'], opts);
  print();
  print(`  idle: one assistant (A alone in its cloud, the relay as notifier) with ${tree.files} files (${formatMiB(tree.bytes)}) in ${Math.ceil(tree.files / 100)} folders, added and committed before it starts; the cloud's preferred content set to "present" (no uploads)`);
  const start = performance.now();
  const d = await startDaemon(dir, env);
  try {
    await d.quiet(10_000, 20 * 60_000);
    const settled = performance.now();
    const startup = describeRequests(cloud.requests, start, settled);
    const uploads = d.events.filter((e) => e.type === 'transfer-done' && e.ok).length;
    print(`  start-up work (until 10 s without an event): ${formatMs(settled - start - 10_000)}, ${d.events.length} events, ${uploads} transfers, store requests ${startup.text}`);
    // Poll backs off from every 2 s to every 20 s after a minute without activity: wait for the ceiling.
    const backedOff = () => {
      const lists = cloud.requests.filter((r) => r.at > settled && r.kind === 'list').map((r) => r.at);
      return lists.length >= 3 && lists.at(-1)! - lists.at(-2)! > 15_000 && lists.at(-2)! - lists.at(-3)! > 15_000;
    };
    const waitFrom = performance.now();
    while (!backedOff() && performance.now() - waitFrom < 300_000) await sleep(500);
    print(`  waited ${formatMs(performance.now() - settled)} for poll to back off to its 20 s ceiling${backedOff() ? '' : ' (not seen: counting anyway)'}`);
    const from = performance.now();
    const cpu0 = procUsage(d.pid).cpuSeconds;
    const rss: number[] = [];
    while (performance.now() - from < s.idleMs) {
      rss.push(procUsage(d.pid).rssBytes);
      await sleep(1000);
    }
    const to = performance.now();
    const usage = procUsage(d.pid);
    const cpu = usage.cpuSeconds - cpu0;
    const minutes = (to - from) / 60_000;
    const reqs = describeRequests(cloud.requests, from, to);
    const eventsIdle = d.events.filter((e) => e.time >= Date.now() - (to - from)).length;
    print(`  over ${formatMs(to - from)} idle: CPU ${cpu.toFixed(2)} s (${(cpu / minutes).toFixed(2)} s a minute, ${((cpu / ((to - from) / 1000)) * 100).toFixed(2)} % of one core); `
      + `RSS median ${formatMiB(median(rss))}, max ${formatMiB(Math.max(...rss))}, peak since start (VmHWM) ${formatMiB(usage.peakBytes)}; ${eventsIdle} events`);
    print(`  store requests while idle: ${reqs.text} in ${formatMs(to - from)} → ${((reqs.total * 3_600_000) / (to - from)).toFixed(0)} an hour (counted at the proxy; the relay's WebSocket pings are not store requests)`);
  } finally {
    await d.stop();
    await ws.remove(dir);
  }
}
