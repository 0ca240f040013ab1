// Drop-safety races (issue 11, docs/NOTES.md "Drop safety"): repositories A and B each hold a copy of a key,
// numcopies 1, each a remote of the other, and each drops its own copy. The interleaving is forced, never left
// to luck: side 1 is paused right after it has taken its locks, side 2 drops to completion meanwhile, then side
// 1 continues. Rounds of ten trials alternate, two by two, between pausing side 1 holding all its locks (its
// own copy's KEY.lck exclusive, the other copy's shared: side 2 cannot lock its own copy) and holding only its
// own (side 2 locks its own copy but cannot lock side 1's to count it). ferry is paused by its own hooks
// (FERRY_TEST_STOP=drop-locked:1 or drop-target-locked:1). git-annex has no hook: it runs under strace, which
// sends it SIGSTOP as its second chmod of a key directory returns (git-annex makes the directory writable,
// opens KEY.lck, locks it, makes it read-only again): the other repository's for all locks, its own for its
// own lock only. Either way /proc/locks must then show the paused process holding exactly the locks meant.
// Trials reuse one pair of repositories per case, each trial on a key of its own, and content is fetched back
// after every round, so every trial starts from two copies.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { testEnv } from '../helpers/env.js';
import { bytes, makeRepo } from '../helpers/repo.js';
import { ferry, git, gitAnnex, jsonLines, run, start } from '../helpers/run.js';
import type { RunResult, Started } from '../helpers/run.js';
import { removeTree, tempDir } from '../helpers/tmp.js';
import { waitUntilStopped } from '../helpers/trace.js';

const TRIALS = Number(process.env.FERRY_RACE_TRIALS ?? 100);
/** Keys per pair of repositories: one round drops each once, then one `get` brings them all back. */
const KEYS = 10;

type Tool = 'ferry' | 'git-annex';
interface Case { readonly name: string; readonly side1: Tool; readonly side2: Tool }
const CASES: readonly Case[] = [
  { name: 'ferry paused vs ferry', side1: 'ferry', side2: 'ferry' },
  { name: 'ferry paused vs git annex drop', side1: 'ferry', side2: 'git-annex' },
  { name: 'git-annex paused vs ferry drop', side1: 'git-annex', side2: 'ferry' },
];

interface Item { readonly path: string; readonly content: Buffer; readonly key: string; /** under .git/annex/objects */ readonly object: string }
interface Pair { readonly a: string; readonly b: string; readonly items: readonly Item[] }
type Outcome = 'side 1 dropped, side 2 refused' | 'both refused' | 'side 2 dropped, side 1 refused' | 'both dropped';
/** Where side 1 is paused: holding its own copy's lock and the other copy's, or only its own. */
type Pause = 'all locks' | 'own lock';

// On a tmpfs when there is one: the repositories see hundreds of commits, and fsync latency adds no coverage.
function fastTmpDir(): string | undefined {
  const shm = readFileSync('/proc/mounts', 'utf8').split('\n').find((l) => l.split(' ')[1] === '/dev/shm');
  return shm?.split(' ')[2] === 'tmpfs' && !/\bnoexec\b/.test(shm) ? '/dev/shm' : undefined;
}

/** A (ferry) with KEYS annexed files, numcopies 1; B its clone (initialised by `bInit`); both have every copy. */
async function makePair(t: TestContext, bInit: Tool): Promise<Pair> {
  const files = Object.fromEntries(Array.from({ length: KEYS }, (_, i) => [`f${i}.bin`, bytes(100 + i, 2000 + i * 37)]));
  const a = await makeRepo(t, { init: 'ferry', description: 'A', files });
  await ferry(a, ['add', '.']);
  await git(a, ['commit', '-q', '-m', 'add']);
  await ferry(a, ['numcopies', '1']);
  const b = join(await tempDir(t), 'B');
  await git(a, ['clone', '-q', '--origin', 'A', a, b]);
  if (bInit === 'ferry') await ferry(b, ['init', 'B']);
  else await gitAnnex(b, ['init', '-q', 'B']);
  await git(a, ['remote', 'add', 'B', b]);
  await ferry(b, ['get', '.']);
  await exchangeBranches({ a, b });
  const found = jsonLines((await ferry(a, ['find', '--json', '.'])).stdout);
  const items: Item[] = [];
  for (const f of found) {
    const key = String(f.key);
    const object = (await ferry(a, ['examinekey', '--format=${hashdirmixed}${key}/${key}\n', key])).stdout.trim();
    items.push({ path: String(f.file), content: files[String(f.file)]!, key, object });
  }
  assert.equal(items.length, KEYS);
  return { a, b, items };
}

async function exchangeBranches({ a, b }: { a: string; b: string }): Promise<void> {
  await git(a, ['fetch', '-q', 'B']);
  await git(b, ['fetch', '-q', 'A']);
}

const objectPath = (repo: string, item: Item) => join(repo, '.git/annex/objects', item.object);
const lockPath = (repo: string, item: Item) => `${objectPath(repo, item)}.lck`;
const keyDir = (repo: string, item: Item) => join(repo, '.git/annex/objects', item.object, '..');

/** The copy in `repo` is there and reads back the file's content. */
async function hasCopy(repo: string, item: Item): Promise<boolean> {
  const now = await readFile(objectPath(repo, item)).catch(() => undefined);
  return now !== undefined && now.equals(item.content);
}

interface Paused { readonly pid: number; readonly run: Started }

/** Starts side 1's drop in `x` and resolves once it is paused holding its locks. */
async function startPaused(tool: Tool, pause: Pause, x: string, y: string, item: Item, scratch: string): Promise<Paused> {
  if (tool === 'ferry') {
    const hook = pause === 'all locks' ? 'drop-locked:1' : 'drop-target-locked:1';
    const r = start(x, 'ferry', ['drop', item.path], { env: { FERRY_TEST_STOP: hook }, expect: [] });
    await Promise.race([waitUntilStopped(r.child.pid!), exitedEarly(r)]);
    return { pid: r.child.pid!, run: r };
  }
  // strace counts a syscall's invocations per thread; git-annex's main thread makes both chmods.
  const trace = join(scratch, `strace-${Date.now()}-${item.key.slice(-8)}`);
  // git-annex names its own repository's files relative to its top (its cwd), another's by the remote's path.
  const dir = pause === 'all locks' ? keyDir(y, item) : relative(x, keyDir(x, item));
  const r = start(x, 'strace', ['-f', '-o', trace, '-e', 'trace=chmod', '-P', dir,
    '-e', 'inject=chmod:signal=SIGSTOP:when=2', 'git', 'annex', 'drop', item.path], { expect: [] });
  const pid = await Promise.race([stoppedUnderStrace(trace), exitedEarly(r)]);
  return { pid, run: r };
}

async function exitedEarly(r: Started): Promise<never> {
  const res = await r.done;
  throw new Error(`side 1 exited (${res.code}) before it was paused: ${res.stdout}${res.stderr}`);
}

/** The pid of the process strace reports as stopped by SIGSTOP (a group stop: safe to SIGCONT from now on). */
async function stoppedUnderStrace(trace: string): Promise<number> {
  for (let wait = 1; ; wait = Math.min(wait * 2, 20)) {
    const m = /^(\d+) +--- stopped by SIGSTOP ---$/m.exec(await readFile(trace, 'utf8').catch(() => ''));
    if (m) {
      const status = await readFile(`/proc/${m[1]}/status`, 'utf8');
      return Number(/^Tgid:\s+(\d+)$/m.exec(status)![1]);
    }
    await delay(wait);
  }
}

/** The POSIX locks `pid` holds, as "READ inode" / "WRITE inode". */
async function locksOf(pid: number): Promise<Set<string>> {
  const held = new Set<string>();
  for (const line of (await readFile('/proc/locks', 'utf8')).split('\n')) {
    const m = /^\d+: POSIX +ADVISORY +(READ|WRITE) +(\d+) +[0-9a-f]+:[0-9a-f]+:(\d+) /.exec(line);
    if (m && Number(m[2]) === pid) held.add(`${m[1]} ${m[3]}`);
  }
  return held;
}

const dropOf = (tool: Tool, repo: string, item: Item): Promise<RunResult> =>
  (tool === 'ferry' ? ferry(repo, ['drop', item.path], { expect: [] }) : gitAnnex(repo, ['drop', item.path], { expect: [] }));

interface Trial { readonly outcome: Outcome; readonly problems: string[]; readonly refusal?: string }

async function runTrial(c: Case, pause: Pause, x: string, y: string, item: Item, scratch: string): Promise<Trial> {
  const problems: string[] = [];
  const side1 = await startPaused(c.side1, pause, x, y, item, scratch);
  let second: RunResult;
  try {
    const held = await locksOf(side1.pid);
    const own = (await stat(lockPath(x, item))).ino;
    const other = (await stat(lockPath(y, item)).catch(() => undefined))?.ino;
    if (!held.has(`WRITE ${own}`) || (pause === 'all locks') !== held.has(`READ ${other}`)) {
      problems.push(`side 1 paused (${pause}) holding ${[...held].join(', ') || 'nothing'} (own KEY.lck inode ${own}, other ${other ?? 'absent'})`);
    }
    second = await dropOf(c.side2, y, item);
  } finally {
    process.kill(side1.pid, 'SIGCONT');
  }
  const first = await side1.run.done;
  const [inX, inY] = [await hasCopy(x, item), await hasCopy(y, item)];
  if ((first.code === 0) === inX) problems.push(`side 1 exited ${first.code} but its copy is ${inX ? 'still there' : 'gone'}: ${first.stdout}${first.stderr}`);
  if ((second.code === 0) === inY) problems.push(`side 2 exited ${second.code} but its copy is ${inY ? 'still there' : 'gone'}: ${second.stdout}${second.stderr}`);
  if (!inX && !inY) problems.push('both copies are gone: the content is lost');
  const outcome: Outcome = inX ? (inY ? 'both refused' : 'side 2 dropped, side 1 refused') : (inY ? 'side 1 dropped, side 2 refused' : 'both dropped');
  const refusal = second.code === 0 ? undefined : (second.stdout + second.stderr).split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
  return { outcome, problems, refusal };
}

/** Both tools' fsck in both repositories: the location logs must match the objects, with nothing to fix. */
async function fsckProblems(pair: Pair, when: string): Promise<string[]> {
  const problems: string[] = [];
  for (const repo of [pair.a, pair.b]) {
    const name = repo === pair.a ? 'A' : 'B';
    const ours = await ferry(repo, ['fsck'], { expect: [] });
    if (ours.code !== 0 || /fixing/.test(ours.stdout + ours.stderr)) problems.push(`ferry fsck in ${name} ${when}: exit ${ours.code}: ${ours.stdout}${ours.stderr}`);
    const theirs = await gitAnnex(repo, ['fsck', '--fast'], { expect: [] });
    if (theirs.code !== 0 || /fixing|expected to be present/.test(theirs.stdout + theirs.stderr)) {
      problems.push(`git annex fsck --fast in ${name} ${when}: exit ${theirs.code}: ${theirs.stdout}${theirs.stderr}`);
    }
  }
  return problems;
}

async function runCase(t: TestContext, c: Case): Promise<void> {
  const pair = await makePair(t, c.side1 === 'git-annex' || c.side2 === 'git-annex' ? 'git-annex' : 'ferry');
  const scratch = await tempDir(t);
  const counts = new Map<string, number>();
  const refusals = new Map<string, number>();
  const problems: string[] = [];
  for (let round = 0; round * KEYS < TRIALS; round++) {
    // Side 1 works in A one round, in B the next; two rounds paused with all locks, two with its own only.
    const [x, y] = round % 2 === 0 ? [pair.a, pair.b] : [pair.b, pair.a];
    const pause: Pause = round % 4 < 2 ? 'all locks' : 'own lock';
    for (const item of pair.items) {
      if (!await hasCopy(pair.a, item) || !await hasCopy(pair.b, item)) throw new Error(`round ${round} does not start from two copies of ${item.path}`);
    }
    for (const [i, item] of pair.items.slice(0, TRIALS - round * KEYS).entries()) {
      const trial = await runTrial(c, pause, x, y, item, scratch);
      const kind = `paused with ${pause}: ${trial.outcome}`;
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
      const said = trial.refusal?.replaceAll(item.path, 'FILE').replaceAll(item.key, 'KEY');
      if (said !== undefined) refusals.set(said, (refusals.get(said) ?? 0) + 1);
      problems.push(...trial.problems.map((p) => `trial ${round * KEYS + i + 1} (side 1 in ${x === pair.a ? 'A' : 'B'}): ${p}`));
    }
    problems.push(...await fsckProblems(pair, `after round ${round + 1}`));
    for (const repo of [pair.a, pair.b]) {
      const missing = [];
      for (const item of pair.items) if (!await hasCopy(repo, item)) missing.push(item.path);
      if (missing.length > 0) await ferry(repo, ['get', ...missing]);
    }
    await exchangeBranches(pair);
    if (problems.length > 0) break;
  }
  const total = [...counts.values()].reduce((s, n) => s + n, 0);
  t.diagnostic(`${c.name}: ${total} trials: ${[...counts].map(([o, n]) => `${o} in ${n}`).join('; ')}`);
  for (const [said, n] of refusals) t.diagnostic(`  side 2 (${c.side2}) refused ×${n}: ${said.slice(0, 300)}`);
  assert.deepEqual(problems, []);
  assert.equal(total, TRIALS);
  assert.equal([...counts].filter(([k]) => k.endsWith('both dropped')).length, 0);
}

describe('drop races, interleaving forced: one key, numcopies 1, two copies, each side drops its own', { concurrency: true }, () => {
  const saved = process.env.TMPDIR;
  before(() => {
    const tmp = fastTmpDir();
    if (tmp) process.env.TMPDIR = tmp; // read by os.tmpdir(), so by the helpers' tempDir
  });
  after(async () => {
    await removeTree(testEnv().HOME!); // the helpers create the test HOME but leave it behind
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  });

  for (const c of CASES) {
    it(`${c.name}: ${TRIALS} trials, no content lost, location logs right`, async (t) => {
      if (c.side1 === 'git-annex') {
        const probe = await run('.', 'strace', ['-V'], { expect: [] }).catch(() => undefined);
        assert.ok(probe?.code === 0, 'strace is needed to pause git-annex at its locks (apt-get install strace)');
      }
      await runCase(t, c);
    });
  }
});
