// Shared pieces of the benchmarks: a private environment (this checkout's dist/bin first on PATH, a fixed git
// identity, a private HOME), timed child processes, `sync` before every timed run, alternating rounds and
// medians, peak RSS of a child, deterministic fixtures (re-exported from fixtures.ts) and fresh repositories.
// Benchmarks measure and print; they never assert (bench/README.md).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/bin of this build (this file runs as dist/bench/lib.js). */
export const distBin = fileURLToPath(new URL('../bin', import.meta.url));

// ---- targets and benchmarks -------------------------------------------------------------------------------

export type TargetStatus = 'PASS' | 'SHORT' | 'SKIP';

export interface Target {
  readonly name: string;
  readonly status: TargetStatus;
  /** The measured figure and the goal, e.g. "ferry 96 ms (target < 150 ms)". */
  readonly figure: string;
}

export interface BenchContext {
  readonly ws: Workspace;
  /** Rounds of alternating runs for the benchmarks that take a round count (≥ 1). */
  readonly rounds: number;
  readonly print: (line?: string) => void;
}

export interface Benchmark {
  readonly name: string;
  readonly title: string;
  run(ctx: BenchContext): Promise<Target[]>;
}

export function target(name: string, pass: boolean, figure: string): Target {
  return { name, status: pass ? 'PASS' : 'SHORT', figure };
}

// ---- the private workspace --------------------------------------------------------------------------------

/** A temp directory under os.tmpdir() holding a private HOME and every repository a benchmark makes. */
export class Workspace {
  private constructor(readonly root: string, readonly env: NodeJS.ProcessEnv) {}

  static async create(): Promise<Workspace> {
    const root = await mkdtemp(join(tmpdir(), 'ferry-bench-'));
    const home = join(root, 'home');
    mkdirSync(home);
    writeFileSync(join(home, '.gitconfig'), [
      '[user]', '\tname = Ferry Bench', '\temail = bench@ferry.invalid',
      '[init]', '\tdefaultBranch = main',
      '[advice]', '\tdetachedHead = false',
      // A commit of 10,000 loose objects would start a detached `git gc --auto`, which runs on into the
      // next contender's timed run (and races the removal of its repository): off for every tool alike.
      '[gc]', '\tauto = 0',
      '[maintenance]', '\tauto = false',
      '',
    ].join('\n'));
    const inherited: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(inherited)) if (k.startsWith('GIT_') || k.startsWith('FERRY_')) delete inherited[k];
    const env: NodeJS.ProcessEnv = {
      ...inherited,
      PATH: `${distBin}${delimiter}${process.env.PATH ?? ''}`,
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'Ferry Bench',
      GIT_AUTHOR_EMAIL: 'bench@ferry.invalid',
      GIT_COMMITTER_NAME: 'Ferry Bench',
      GIT_COMMITTER_EMAIL: 'bench@ferry.invalid',
      LC_ALL: 'C.UTF-8',
    };
    return new Workspace(root, env);
  }

  /** A new empty directory under the workspace. */
  dir(prefix: string): Promise<string> {
    return mkdtemp(join(this.root, `${prefix}-`));
  }

  /** Removes a directory made by dir(); annex object directories are read-only, so make them writable first. */
  async remove(dir: string): Promise<void> {
    try {
      await removeTree(dir, this.env);
    } catch {
      // Left for close(), which tries again and reports: a benchmark should not fail over its cleanup.
    }
  }

  async close(): Promise<void> {
    await removeTree(this.root, this.env);
  }
}

async function removeTree(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  await run(['chmod', '-R', 'u+w', dir], { cwd: tmpdir(), env, okCodes: [0, 1] }).catch(() => undefined);
  // maxRetries: a process a tool left behind may still be writing there for a moment.
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
}

// ---- child processes --------------------------------------------------------------------------------------

export type Command = readonly [string, ...string[]];

export interface RunOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Keep stdout; otherwise it goes to /dev/null, so a tool's per-file output costs it only the writes. */
  readonly captureStdout?: boolean;
  /** Exit codes that are not failures (default: 0 only). */
  readonly okCodes?: readonly number[];
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time from spawn to exit, in milliseconds (process.hrtime). */
  readonly ms: number;
  readonly pid: number;
}

export class CommandFailed extends Error {
  constructor(readonly command: Command, readonly code: number, readonly stderr: string) {
    super(`${command.join(' ')} exited with ${code}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-5).join(' | ')}` : ''}`);
  }
}

/** Runs a command to completion, timing it; a failing exit code throws CommandFailed. */
export function run(cmd: Command, opts: RunOptions, onSpawn?: (pid: number) => void): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const [file, ...args] = cmd;
    const start = process.hrtime.bigint();
    let end: bigint | undefined;
    const child = spawn(file, args, {
      cwd: opts.cwd, env: opts.env, stdio: ['ignore', opts.captureStdout ? 'pipe' : 'ignore', 'pipe'],
    });
    if (child.pid !== undefined) onSpawn?.(child.pid);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    // The clock stops when the process exits; 'close' (all pipes drained) may come later.
    child.on('exit', () => { end = process.hrtime.bigint(); });
    child.on('close', (code, signal) => {
      const ms = Number((end ?? process.hrtime.bigint()) - start) / 1e6;
      const status = code ?? (signal ? 128 : -1);
      const stderr = Buffer.concat(err).toString('utf8');
      if (!(opts.okCodes ?? [0]).includes(status)) reject(new CommandFailed(cmd, status, stderr));
      else resolve({ code: status, stdout: Buffer.concat(out).toString('utf8'), stderr, ms, pid: child.pid ?? -1 });
    });
  });
}

/** Runs the commands one after the other and returns their total wall time in milliseconds. */
export async function timeSteps(steps: readonly Command[], opts: RunOptions): Promise<number> {
  let total = 0;
  for (const step of steps) total += (await run(step, opts)).ms;
  return total;
}

/** Flushes dirty pages so one run's writeback does not land in the next run's timing. */
export async function syncDisks(): Promise<void> {
  await run(['sync'], { cwd: '/', env: process.env });
}

// ---- alternating rounds -----------------------------------------------------------------------------------

export interface Contender<C> {
  readonly name: string;
  /** Untimed: a fresh repository, fresh files. */
  prepare(round: number): Promise<C>;
  /** The timed part; returns milliseconds. */
  measure(c: C): Promise<number>;
  /** Untimed: checks and cleanup. Runs even when measure() failed. */
  finish?(c: C, round: number): Promise<void>;
}

/** What a side-by-side report is given: the target, the samples of alternate(), and where to print. */
export interface ReportInput {
  /** The target's name, and the ratio it sets. */
  readonly name: string;
  readonly ratio: number;
  /** The first column's heading of the table. */
  readonly heading: string;
  /** Samples by contender name, as alternate() returns them, and their order in the table. */
  readonly samples: Map<string, number[]>;
  readonly names: readonly string[];
  /** Whether git-annex ran (it is optional on a developer's machine). */
  readonly withAnnex: boolean;
  readonly print: (line?: string) => void;
}

/**
 * Runs `rounds` rounds of every contender in turn (a, b, c, a, b, c, …), each after `sync`, and returns the
 * samples by contender name. Alternating spreads slow drift of the machine (other load, thermal, page cache)
 * over all contenders instead of charging it to one.
 */
export async function alternate<C>(
  contenders: readonly Contender<C>[], rounds: number, print: (line: string) => void,
): Promise<Map<string, number[]>> {
  const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let round = 1; round <= rounds; round++) {
    const line: string[] = [];
    for (const c of contenders) {
      const ctx = await c.prepare(round);
      try {
        await syncDisks();
        const ms = await c.measure(ctx);
        samples.get(c.name)?.push(ms);
        line.push(`${c.name} ${formatMs(ms)}`);
      } finally {
        await c.finish?.(ctx, round);
      }
    }
    print(`  round ${round}/${rounds}: ${line.join(', ')}`);
  }
  return samples;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

// ---- presentation -----------------------------------------------------------------------------------------

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function formatRatio(r: number): string {
  return Number.isFinite(r) ? `${r.toFixed(r < 10 ? 2 : 1)}×` : '—';
}

export function formatMiB(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** A plain-text table: first column left-aligned, the others right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const cell = (s: string, i: number) => (i === 0 ? s.padEnd(widths[i]!) : s.padStart(widths[i]!));
  const line = (r: readonly string[]) => `  ${r.map(cell).join('  ')}`.trimEnd();
  return [line(headers), `  ${widths.map((w) => '-'.repeat(w)).join('  ')}`, ...rows.map(line)];
}

/** Rows of median / min / max / runs for each contender, in the given order. */
export function sampleRows(samples: Map<string, number[]>, order: readonly string[]): string[][] {
  return order.map((name) => {
    const xs = samples.get(name) ?? [];
    return [name, formatMs(median(xs)), formatMs(Math.min(...xs)), formatMs(Math.max(...xs)), String(xs.length)];
  });
}

// ---- peak RSS ---------------------------------------------------------------------------------------------

export type PeakRss =
  | { readonly kib: number; readonly method: string; readonly ms: number }
  | { readonly unavailable: string };

let gnuTime: string | null | undefined;

/** The path of GNU time (`time -f %M` gives the child's max RSS in KiB), or null. */
async function findGnuTime(env: NodeJS.ProcessEnv): Promise<string | null> {
  if (gnuTime !== undefined) return gnuTime;
  gnuTime = null;
  if (process.env.FERRY_BENCH_RSS === 'proc') return gnuTime; // to exercise the fallback
  const dirs = ['/usr/bin', '/usr/local/bin', ...(env.PATH ?? '').split(delimiter)];
  for (const dir of dirs) {
    const candidate = join(dir, 'time');
    if (!dir || !existsSync(candidate)) continue;
    const r = await run([candidate, '--version'], { cwd: '/', env, captureStdout: true, okCodes: [0, 1, 2] }).catch(() => undefined);
    if (r && /GNU/.test(r.stdout + r.stderr)) return (gnuTime = candidate);
  }
  return gnuTime;
}

/**
 * Peak resident set size of `cmd`. With GNU time: the kernel's ru_maxrss from wait4 (the process, or the
 * largest of it and the children it waited for). Without: /proc/PID/status VmHWM (the kernel's own
 * high-water mark for the process) sampled every 10 ms; only growth in the last few ms before exit can be
 * missed. Neither available: `unavailable`.
 */
export async function peakRss(cmd: Command, opts: RunOptions): Promise<PeakRss> {
  const time = await findGnuTime(opts.env);
  if (time !== null) {
    const out = join(await mkdtemp(join(tmpdir(), 'ferry-bench-rss-')), 'rss');
    try {
      const r = await run([time, '-f', '%M', '-o', out, ...cmd], opts);
      const last = (await readFile(out, 'utf8')).trim().split('\n').pop() ?? '';
      const kib = Number.parseInt(last, 10);
      if (Number.isFinite(kib)) return { kib, method: 'GNU time %M (ru_maxrss)', ms: r.ms };
      return { unavailable: `rss: unavailable (GNU time printed '${last}')` };
    } finally {
      await rm(dirname(out), { recursive: true, force: true });
    }
  }
  if (!existsSync('/proc/self/status')) return { unavailable: 'rss: unavailable (install GNU time)' };
  let peak = 0;
  let pid = -1;
  let sampling: Promise<void> = Promise.resolve();
  // Like ru_maxrss: the largest single process of the tree (`git annex` is git with git-annex as a child).
  const sample = async () => {
    for (const p of await processTree(pid)) {
      const status = await readFile(`/proc/${p}/status`, 'utf8').catch(() => '');
      const m = /^VmHWM:\s+(\d+) kB/m.exec(status);
      if (m) peak = Math.max(peak, Number(m[1]));
    }
  };
  const timer = setInterval(() => { sampling = sampling.then(sample); }, 10);
  try {
    const r = await run(cmd, opts, (p) => { pid = p; });
    await sampling;
    if (peak === 0) return { unavailable: 'rss: unavailable (install GNU time; /proc sampling saw nothing)' };
    return { kib: peak, method: 'sampled /proc/PID/status VmHWM of the process tree every 10 ms (install GNU time for an exact figure)', ms: r.ms };
  } finally {
    clearInterval(timer);
  }
}

/** `pid` and its descendants, from /proc/PID/task/TID/children (empty once the process is gone). */
async function processTree(pid: number): Promise<number[]> {
  const found: number[] = [];
  const queue = [pid];
  for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
    found.push(p);
    const tasks = await readdir(`/proc/${p}/task`).catch(() => [] as string[]);
    for (const t of tasks) {
      const children = await readFile(`/proc/${p}/task/${t}/children`, 'utf8').catch(() => '');
      for (const c of children.split(' ')) if (c.trim() !== '') queue.push(Number(c));
    }
  }
  return found;
}

// ---- fixtures (generated, never stored: bench/fixtures.ts) -------------------------------------------------

export { ByteStream, Xorshift32, writeLargeFile, writeSmallTree } from './fixtures.js';
export type { SmallTree } from './fixtures.js';

/** Bytes free to an unprivileged user on the file system holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

// ---- repositories -----------------------------------------------------------------------------------------

export type RepoKind = 'ferry' | 'git-annex' | 'git';

/** A fresh repository: `git init`, then `ferry init` or `git annex init` (untimed). */
export async function makeRepo(ws: Workspace, kind: RepoKind): Promise<string> {
  const dir = await ws.dir(kind);
  const opts: RunOptions = { cwd: dir, env: ws.env };
  await run(['git', 'init', '-q'], opts);
  if (kind === 'ferry') await run(['ferry', 'init', 'bench'], opts);
  if (kind === 'git-annex') await run(['git', 'annex', 'init', 'bench'], opts);
  return dir;
}

/** Whether `git annex` runs here (benchmarks against it are skipped otherwise). */
export async function hasGitAnnex(env: NodeJS.ProcessEnv): Promise<boolean> {
  const r = await run(['git', 'annex', 'version', '--raw'], { cwd: '/', env, okCodes: [0, 1, 2, 127] }).catch(() => undefined);
  return r !== undefined && r.code === 0;
}
