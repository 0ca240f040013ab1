// Two machines of the assistant benchmark, in this network namespace: A (`ferry cloud create` on the bench
// cloud, its own prefix of the bucket) and B (`ferry join` with A's code), each with `ferry assistant
// --foreground --json` as a child process whose events (one JSON line each, with the time they happened)
// are read from its stdout. Nothing here sleeps for a result: it waits on events or on files.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { AssistantEvent } from '../src/assistant/index.js';
import type { BenchCloud } from './assistant-cloud.js';
import { BUCKET } from './assistant-cloud.js';
import { run } from './lib.js';
import type { Workspace } from './lib.js';
import { ferryApp } from './notify-servers.js';

export interface Daemon {
  readonly dir: string;
  readonly pid: number;
  readonly events: AssistantEvent[];
  /** The first event after id `after` that `match` accepts; rejects after `timeoutMs` or if the process exits. */
  waitFor(what: string, match: (e: AssistantEvent) => boolean, after?: number, timeoutMs?: number): Promise<AssistantEvent>;
  /** Resolves once no event came for `quietMs` (or after `limitMs` whatever happens). */
  quiet(quietMs: number, limitMs: number): Promise<void>;
  stop(): Promise<void>;
  /** Throws, with the end of what it printed on stderr, if the process has exited. */
  assertAlive(): void;
}

export async function startDaemon(dir: string, env: NodeJS.ProcessEnv): Promise<Daemon> {
  const child = spawn(process.execPath, [ferryApp, 'assistant', '--foreground', '--json'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: AssistantEvent[] = [];
  const waiters = new Set<() => void>();
  const stderr: string[] = [];
  child.stderr.on('data', (b: Buffer) => {
    stderr.push(b.toString('utf8'));
    if (stderr.length > 50) stderr.shift();
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      events.push(JSON.parse(line) as AssistantEvent);
    } catch {
      return; // not an event
    }
    for (const w of waiters) w();
  });
  let exitStatus = '';
  const exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
    exitStatus = `${code ?? signal}`;
    resolve();
  }));
  let gone = false;
  void exited.then(() => {
    gone = true;
    for (const w of waiters) w();
  });
  const waitFor: Daemon['waitFor'] = (what, match, after = 0, timeoutMs = 120_000) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no ${what} from the assistant in ${dir} within ${timeoutMs / 1000} s: ${stderr.join('').slice(-800)}`)), timeoutMs);
    const check = () => {
      const found = events.find((e) => e.id > after && match(e));
      if (found !== undefined) done(undefined, found);
      else if (gone) done(new Error(`the assistant in ${dir} exited while waiting for ${what}: ${stderr.join('').slice(-800)}`));
    };
    const done = (err: Error | undefined, e?: AssistantEvent) => {
      clearTimeout(timer);
      waiters.delete(check);
      if (err) reject(err);
      else resolve(e!);
    };
    waiters.add(check);
    check();
  });
  const daemon: Daemon = {
    dir,
    pid: child.pid ?? -1,
    events,
    waitFor,
    quiet: async (quietMs, limitMs) => {
      const start = Date.now();
      for (;;) {
        const last = events.at(-1)?.time ?? start;
        const left = last + quietMs - Date.now();
        if (left <= 0 || Date.now() - start > limitMs || gone) return;
        await new Promise((resolve) => setTimeout(resolve, Math.min(left, 500)));
      }
    },
    assertAlive: () => {
      if (gone) throw new Error(`the assistant in ${dir} exited (${exitStatus}): ${stderr.join('').slice(-1500)}`);
    },
    stop: async () => {
      if (!gone) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }
      // For a closer look afterwards: every event of every assistant, one file each.
      const keep = process.env.FERRY_BENCH_ASSISTANT_EVENTS;
      if (keep) await writeFile(join(keep, `${basename(dir)}.jsonl`), events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    },
  };
  await waitFor('its start', (e) => e.type === 'started', 0, 60_000).catch(async (err: unknown) => {
    await daemon.stop();
    throw err;
  });
  return daemon;
}

export interface Pair {
  readonly a: string;
  readonly b: string;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * A creates a cloud under `prefix` of the bucket (the relay as notifier, or `--notify none`: poll only) and B
 * joins it. Untimed.
 */
export async function makePair(ws: Workspace, cloud: BenchCloud, prefix: string, notify: 'relay' | 'none'): Promise<Pair> {
  const env = { ...ws.env, ...cloud.keys };
  const a = await ws.dir(`${prefix}-alice`);
  const b = `${a.replace(/-alice-/, '-bob-')}`;
  await run(['git', 'init', '-q'], { cwd: a, env });
  await run(['ferry', 'init', 'alice'], { cwd: a, env });
  const created = await run(['ferry', 'cloud', 'create', 'cloud', 'type=S3', 'host=127.0.0.1', `port=${cloud.port}`, 'protocol=http',
    `bucket=${BUCKET}`, `fileprefix=${prefix}/`, '--embed-credentials', '--notify', notify === 'relay' ? `relay=${cloud.relay.url}` : 'none', '--json'],
  { cwd: a, env, captureStdout: true });
  const record = JSON.parse(created.stdout.split('\n').find((l) => l.startsWith('{')) ?? '{}') as { code?: string };
  if (typeof record.code !== 'string') throw new Error(`cloud create printed no code: ${created.stdout.slice(0, 300)}`);
  await run(['ferry', 'join', record.code, b], { cwd: ws.root, env });
  await run(['ferry', 'describe', 'here', 'bob'], { cwd: b, env });
  return { a, b, env };
}

/** Starts both assistants and waits until each has pulled once and gone quiet (its start-up work done). */
export async function startPair(pair: Pair, notify: 'relay' | 'none'): Promise<{ a: Daemon; b: Daemon }> {
  const a = await startDaemon(pair.a, pair.env);
  const b = await startDaemon(pair.b, pair.env).catch(async (err: unknown) => {
    await a.stop();
    throw err;
  });
  try {
    for (const d of [a, b]) {
      if (notify === 'relay') await d.waitFor('the relay connected', (e) => e.type === 'notifier' && e.state === 'connected' && e.notifier.includes('relay'));
      await d.quiet(2000, 60_000);
    }
  } catch (err) {
    await Promise.all([a.stop(), b.stop()]);
    throw err;
  }
  return { a, b };
}
