// `ferry assistant --foreground` as a real process for end-to-end tests, in a side of the test's LANs
// (helpers/lans.ts), read only through its status API: an event tap in the same side follows /api/events and
// the test waits on those events, never on sleeps.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { AssistantEvent } from '../../src/assistant/index.js';
import { distBin, testEnv } from './env.js';
import type { Lans, Side } from './lans.js';
import type { AfterHook } from './tmp.js';

const ferryApp = join(distBin, '..', 'app', 'ferry.mjs');
const tap = fileURLToPath(new URL('./event-tap.js', import.meta.url));

/** How long a test waits for an event by default: long enough for a slow CI machine, never a sleep. */
export const EVENT_WAIT_MS = 90_000;

export interface AssistantProcess {
  readonly dir: string;
  readonly pid: number;
  /** Every event so far, in order. */
  readonly events: AssistantEvent[];
  /** The first event after `after` (an event id; default 0) that `match` accepts. */
  waitFor(what: string, match: (e: AssistantEvent) => boolean, opts?: { after?: number; timeoutMs?: number }): Promise<AssistantEvent>;
  /** The id of the newest event seen. */
  last(): number;
  /** SIGTERM, and its exit status. */
  stop(): Promise<number | null>;
  /** SIGKILL (a crash). */
  kill(): Promise<void>;
  /** Resolves when the process ends, however: by its own crash hook (FERRY_TEST_CRASH) too. */
  readonly ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What it printed (its --foreground log), for failure messages. */
  output(): string;
}

export interface StartOptions {
  readonly lans?: Lans;
  readonly side?: Side;
  readonly env?: Record<string, string>;
}

/** Starts the assistant of the repository `dir`; stopped when the test ends. */
export async function startAssistantProcess(t: AfterHook, dir: string, opts: StartOptions = {}): Promise<AssistantProcess> {
  const wrap = opts.lans && opts.side ? opts.lans.wrap(opts.side) : [];
  const env = testEnv(opts.env);
  const [program, ...args] = [...wrap, process.execPath, ferryApp, 'assistant', '--foreground'];
  const child = spawn(program, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const printed: string[] = [];
  child.stdout.on('data', (b: Buffer) => printed.push(b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => printed.push(b.toString('utf8')));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const exited = ended.then((e) => e.code);
  t.after(() => halt(child, exited, 'SIGTERM'));

  const [tapProgram, ...tapArgs] = [...wrap, process.execPath, tap, join(dir, '.git'), String(child.pid)];
  const tapChild = spawn(tapProgram, tapArgs, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => { tapChild.kill('SIGKILL'); });
  const events: AssistantEvent[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: tapChild.stdout }).on('line', (line) => {
    events.push(JSON.parse(line) as AssistantEvent);
    for (const w of waiters) w();
  });
  const tapErrors: string[] = [];
  tapChild.stderr.on('data', (b: Buffer) => tapErrors.push(b.toString('utf8')));

  const output = () => `${printed.join('')}${tapErrors.length > 0 ? `\n(event tap: ${tapErrors.join('')})` : ''}`;
  const waitFor: AssistantProcess['waitFor'] = (what, match, o = {}) => new Promise((resolve, reject) => {
    const after = o.after ?? 0;
    const check = (): boolean => {
      const found = events.find((e) => e.id > after && match(e));
      if (found === undefined) return false;
      cleanup();
      resolve(found);
      return true;
    };
    const onExit = () => {
      if (check()) return;
      cleanup();
      reject(new Error(`the assistant in ${dir} exited while the test waited for ${what}\n${output()}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no ${what} from the assistant in ${dir} within ${(o.timeoutMs ?? EVENT_WAIT_MS) / 1000} s\n${output()}`));
    }, o.timeoutMs ?? EVENT_WAIT_MS);
    const waiter = () => void check();
    const cleanup = () => {
      clearTimeout(timer);
      waiters.delete(waiter);
      child.off('exit', onExit);
    };
    if (check()) return;
    waiters.add(waiter);
    child.once('exit', onExit);
  });
  // Started means serving status: the first event through the API.
  await waitFor('its start', (e) => e.type === 'started', { timeoutMs: 60_000 });
  return {
    dir,
    pid: child.pid!,
    events,
    waitFor,
    last: () => events.at(-1)?.id ?? 0,
    stop: () => halt(child, exited, 'SIGTERM'),
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    ended,
    output,
  };
}

async function halt(child: ChildProcess, exited: Promise<number | null>, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}
