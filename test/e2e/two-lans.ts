// The end-to-end setting of the assistant's tests (ISSUE 15 "Tests"): a cloud (s3rver and `ferry relay`)
// and two machines, A (alice, who ran `ferry cloud create`) and B (bob, who ran `ferry join`), each on its
// own LAN when the test runs as root (helpers/lans.ts). Every ferry command and assistant of a machine runs
// in its side; the groups are the ones create and join leave, never the test's own.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { AssistantEvent } from '../../src/assistant/index.js';
import { startAssistantProcess } from '../helpers/assistant.js';
import type { AssistantProcess } from '../helpers/assistant.js';
import { makeLans } from '../helpers/lans.js';
import type { Lans, Side } from '../helpers/lans.js';
import { jsonLines, run } from '../helpers/run.js';
import type { RunOptions, RunResult } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import type { AfterHook } from '../helpers/tmp.js';
import { startRelayServer } from '../servers/relay.js';
import type { RelayServer } from '../servers/relay.js';
import { startS3rver } from '../servers/s3rver.js';
import type { S3rverServer } from '../servers/s3rver.js';

export interface Machine {
  readonly side: Exclude<Side, 'cloud'>;
  readonly dir: string;
  /** ferry in this machine's side and folder. */
  ferry(args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  git(args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** Any program in this machine's side, in `cwd` (another repository on the same LAN). */
  run(cwd: string, program: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** Starts its assistant (stopped when the test ends). */
  start(env?: Record<string, string>): Promise<AssistantProcess>;
}

export interface TwoLans {
  readonly lans: Lans;
  readonly s3: S3rverServer;
  readonly relay: RelayServer | undefined;
  readonly a: Machine;
  readonly b: Machine;
  readonly code: string;
  /** The special remote's uuid. */
  readonly cloudUuid: string;
  readonly keys: Record<string, string>;
}

/** Creates the cloud on A (with the relay as notifier unless `relay: false`) and joins B to it. */
export async function twoLans(t: AfterHook, opts: { relay?: boolean } = {}): Promise<TwoLans> {
  // Registered first, so it runs before the folders and namespaces go: node:test runs after hooks in order,
  // and an assistant still writing into a folder being removed fails the removal and outlives the test.
  const started: AssistantProcess[] = [];
  t.after(() => Promise.all(started.map((p) => p.stop())));
  const lans = await makeLans(t);
  const cloudSide = { address: lans.cloudAddress, wrap: lans.wrap('cloud') };
  const s3 = await startS3rver(t, { ...cloudSide, bucket: 'ferry-e2e' });
  const relay = opts.relay === false ? undefined : await startRelayServer(t, [], cloudSide);
  const keys = { AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey };
  const root = await tempDir(t, 'ferry-e2e-');
  const inSide = (side: Side, cwd: string, program: string, args: readonly string[], o?: RunOptions) => {
    const [p, ...rest] = [...lans.wrap(side), program, ...args];
    return run(cwd, p!, rest, { ...o, env: { ...keys, ...o?.env } });
  };
  const machine = (side: 'a' | 'b', dir: string): Machine => {
    return {
      side, dir,
      ferry: (args, o) => inSide(side, dir, 'ferry', args, o),
      git: (args, o) => inSide(side, dir, 'git', args, o),
      run: (cwd, program, args, o) => inSide(side, cwd, program, args, o),
      start: async (env) => {
        const p = await startAssistantProcess(t, dir, { lans, side, env: { ...keys, ...env } });
        started.push(p);
        return p;
      },
    };
  };
  const a = machine('a', join(root, 'alice'));
  await mkdir(a.dir);
  await a.git(['init', '-q']);
  await a.ferry(['init', 'alice']);
  const created = await a.ferry(['cloud', 'create', 'cloud', 'type=S3', `host=${s3.host}`, `port=${s3.port}`, 'protocol=http', 'bucket=ferry-e2e',
    'fileprefix=annex/', '--embed-credentials', ...(relay ? ['--notify', `relay=${relay.url}`] : []), '--json']);
  const record = jsonLines(created.stdout)[0]!;
  const code = record.code as string;
  const b = machine('b', join(root, 'bob'));
  await inSide('b', root, 'ferry', ['join', '-', b.dir], { input: `${code}\n` });
  await b.ferry(['describe', 'here', 'bob']);
  return { lans, s3, relay, a, b, code, cloudUuid: record.uuid as string, keys };
}

/** The work tree's files (not .git) with the sha256 of what each holds, for comparing two machines. */
export async function treeDigest(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    const path = relative(dir, join(e.parentPath, e.name));
    if (!e.isFile() || path === '.git' || path.startsWith('.git/')) continue;
    // A file the assistant is renaming (a merge making variants) may be gone by now: it is not there.
    const data = await readFile(join(dir, path)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (data !== undefined) out[path] = createHash('sha256').update(data).digest('hex');
  }
  return Object.fromEntries(Object.entries(out).sort(([x], [y]) => x.localeCompare(y)));
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Waits, event by event, until `check` holds (checked at once and after each new event of `proc`). */
export async function waitUntil(what: string, procs: readonly AssistantProcess[], check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = procs.map((p) => p.last());
  for (;;) {
    if (await check()) return;
    const left = deadline - Date.now();
    if (left <= 0) assert.fail(`${what}: not reached within ${timeoutMs / 1000} s\n${procs.map((p) => `--- ${p.dir}\n${p.output()}`).join('\n')}`);
    // The next event of any of them, whatever it is: each may have changed what `check` reads.
    await Promise.race(procs.map((p, i) => p.waitFor(`an event (${what})`, () => true, { after: seen[i]!, timeoutMs: left }).catch(() => undefined)));
    seen = procs.map((p) => p.last());
  }
}

/** The download of `path` that `proc` finished after event `after`. */
export async function downloaded(proc: AssistantProcess, path: string, after = 0): Promise<AssistantEvent> {
  return transferred(proc, 'download', path, after);
}

export async function uploaded(proc: AssistantProcess, path: string, after = 0): Promise<AssistantEvent> {
  return transferred(proc, 'upload', path, after);
}

async function transferred(proc: AssistantProcess, direction: 'upload' | 'download', path: string, after: number): Promise<AssistantEvent> {
  const queued = await proc.waitFor(`${direction} of ${path} queued`, (e) => e.type === 'transfer-queued' && e.direction === direction && e.path === path, { after });
  const id = queued.type === 'transfer-queued' ? queued.transfer : '';
  return proc.waitFor(`${direction} of ${path} done`, (e) => e.type === 'transfer-done' && e.transfer === id && e.ok, { after: queued.id });
}
