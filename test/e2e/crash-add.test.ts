// kill -9 during a large `ferry add`, at kill points spread over the add's own progress: every checkpoint a
// traced add reaches (src/util/trace.ts: after hashing or placing the N-th file, after a batch's durability
// flush, branch commit or staging, also over several batches), and from outside while locked files become
// symlinks. After each crash nothing may be lost or logged without its object, both fscks pass, and the
// FIRST re-run of `ferry add` finishes the job. A second test kills `git-annex add` after its k-th object
// and only reports how its first re-run fares.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { testEnv } from '../helpers/env.js';
import { mapPool, objectKeys, sha256, spawnGroup, useCrashTmpDir, waitGroupGone } from '../helpers/crash.js';
import { bytes, makeRepo } from '../helpers/repo.js';
import { ferry, git, gitAnnex } from '../helpers/run.js';
import { readTrace } from '../helpers/trace.js';
import { removeTree, tempDir } from '../helpers/tmp.js';

const PARALLEL = Number(process.env.FERRY_CRASH_PARALLEL ?? 4);
const COMPARE_TRIALS = Number(process.env.FERRY_CRASH_COMPARE_TRIALS ?? 5);
const KEEP_FAILED = process.env.FERRY_CRASH_KEEP === '1';
const JOBS = [undefined, 4, 1, 2];

type Mode = 'locked' | 'unlocked';
type Kill =
  | { readonly kind: 'hook'; readonly point: string; readonly n: number }
  /** SIGKILL from outside once the k-th file of the work tree has been renamed over (symlink replacement). */
  | { readonly kind: 'link'; readonly k: number };
/**
 * How an add is run (`batch`: files per batch, FERRY_TEST_ADD_BATCH, for several batches from few files) and
 * how many kill points each kind of checkpoint gets: `object`, other per-file ones, per-batch ones (× repeats).
 */
interface Variant { name: string; mode: Mode; batch?: number; objects: number; perFile: number; perBatch: number; repeats: number }
const VARIANTS: readonly Readonly<Variant>[] = [
  { name: 'locked', mode: 'locked', objects: 12, perFile: 3, perBatch: 3, repeats: 1 },
  { name: 'unlocked', mode: 'unlocked', objects: 5, perFile: 2, perBatch: 3, repeats: 1 },
  { name: 'locked in batches of 50', mode: 'locked', batch: 50, objects: 3, perFile: 0, perBatch: 3, repeats: 1 },
];
interface Trial { readonly variant: Variant; readonly kill: Kill; readonly jobs: number | undefined }
interface Outcome { readonly killed: boolean; readonly links: number; readonly problems: string[] }

/** ~200 files: small notes, medium pictures, two ~1 MB raws, duplicates, an empty file, awkward names. */
function fixture(): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let seed = 1;
  for (let i = 0; i < 90; i++) files.set(`docs/note-${i}.txt`, bytes(seed++, 1 + ((i * 397) % 4000)));
  for (let i = 0; i < 40; i++) files.set(`photos/2023/img-${i}.jpg`, bytes(seed++, 10_000 + i * 1_000));
  for (let i = 0; i < 2; i++) files.set(`photos/2024/raw/shot-${i}.raw`, bytes(seed++, 1_000_000 + i * 150_000));
  for (let i = 0; i < 60; i++) files.set(`data/part ${i}.bin`, bytes(seed++, 500 + i * 300));
  const dup = bytes(seed++, 200_000);
  files.set('dup-a.bin', dup);
  files.set('dup-b.bin', dup);
  files.set('docs/copy of note-1.txt', files.get('docs/note-1.txt')!);
  files.set('empty', Buffer.alloc(0));
  files.set('ünï cödé.txt', bytes(seed++, 777));
  return files;
}
const FILES = fixture();
const DIRS = [...new Set([...FILES.keys()].map((p) => posix.dirname(p)))];

const addArgs = (mode: Mode, jobs: number | undefined) =>
  ['add', ...(mode === 'unlocked' ? ['--unlocked'] : []), ...(jobs === undefined ? [] : ['--jobs', String(jobs)]), '.'];

/** Kills `child` once the k-th file of the fixture has been renamed over in the work tree (inotify). */
function killAfterRenames(dir: string, child: ChildProcess, k: number): () => void {
  let seen = 0;
  const watchers: FSWatcher[] = DIRS.map((d) => watch(join(dir, d), (event, name) => {
    if (event !== 'rename' || name === null || !FILES.has(posix.join(d, name.toString()))) return;
    if (++seen === k) child.kill('SIGKILL');
  }));
  return () => watchers.forEach((w) => w.close());
}

/** Kills `child` once `.git/annex/objects` holds k objects (polled). */
async function killAfterObjects(dir: string, child: ChildProcess, exited: Promise<unknown>, k: number): Promise<void> {
  let running = true;
  void exited.then(() => { running = false; });
  while (running && (await objectKeys(dir)).size < k) await delay(2);
  if (running) child.kill('SIGKILL');
}

/** git cat-file --batch contents of `shas`, in order. */
function catBlobs(dir: string, shas: readonly string[]): Buffer[] {
  const r = spawnSync('git', ['cat-file', '--batch'], { cwd: dir, env: testEnv(), input: shas.map((s) => `${s}\n`).join(''), maxBuffer: 1 << 28 });
  const out: Buffer[] = [];
  let at = 0;
  for (const _ of shas) {
    const nl = r.stdout.indexOf(10, at);
    const header = r.stdout.subarray(at, nl).toString('utf8').split(' ');
    const size = header[1] === 'missing' ? 0 : Number(header[2]);
    out.push(r.stdout.subarray(nl + 1, nl + 1 + size));
    at = header[1] === 'missing' ? nl + 1 : nl + 1 + size + 1;
  }
  return out;
}

/** Keys whose location log (journal over branch, newest line for our uuid) says this repository has them. */
async function loggedPresent(dir: string): Promise<Set<string>> {
  const uuid = (await git(dir, ['config', 'annex.uuid'])).stdout.trim();
  const logs = new Map<string, string>();
  const tree = (await git(dir, ['ls-tree', '-r', '-z', 'refs/heads/git-annex'], { expect: [] })).stdout.split('\0')
    .map((l) => l.split('\t') as [string, string]).filter(([, p]) => p !== undefined && /^[0-9a-f]{3}\/[0-9a-f]{3}\/.*\.log$/.test(p));
  const blobs = catBlobs(dir, tree.map(([meta]) => meta.split(' ')[2]!));
  tree.forEach(([, p], i) => logs.set(p, blobs[i]!.toString('utf8')));
  const journal = join(dir, '.git/annex/journal');
  for (const name of await readdir(journal).catch(() => [] as string[])) {
    const path = name.replace(/__|_/g, (m) => (m === '__' ? '_' : '/')); // annex-format.md §3.4
    if (/^[0-9a-f]{3}\/[0-9a-f]{3}\/.*\.log$/.test(path)) logs.set(path, await readFile(join(journal, name), 'utf8'));
  }
  const present = new Set<string>();
  for (const [path, text] of logs) {
    let newest: [number, string] | undefined;
    for (const line of text.split('\n')) {
      const [ts, status, who] = line.split(' ');
      if (who !== uuid) continue;
      const t = Number(ts!.replace(/s$/, ''));
      if (!newest || t >= newest[0]) newest = [t, status!];
    }
    if (newest?.[1] === '1') present.add(posix.basename(path).slice(0, -'.log'.length));
  }
  return present;
}

/** Collects "what is wrong" → paths, and reports each kind once with a few of its paths. */
class Findings {
  private readonly kinds = new Map<string, string[]>();
  add(kind: string, path: string): void {
    this.kinds.set(kind, [...(this.kinds.get(kind) ?? []), path]);
  }
  list(): string[] {
    return [...this.kinds].map(([kind, paths]) => `${kind}: ${paths.length} (${paths.slice(0, 4).join(', ')}${paths.length > 4 ? ', ...' : ''})`);
  }
}

/** Problems right after a crash: a file's bytes gone, an object not of its key, a log claiming a missing object. */
async function crashStateProblems(dir: string): Promise<string[]> {
  const found = new Findings();
  for (const [path, content] of FILES) {
    const now = await readFile(join(dir, path)).catch((e: NodeJS.ErrnoException) => e.code ?? 'error');
    if (typeof now === 'string') found.add(`after the crash files are unreadable (${now})`, path);
    else if (!now.equals(content)) found.add('after the crash files have other content', path);
  }
  const objects = await objectKeys(dir);
  for (const [key, at] of objects) if (!key.includes(`--${sha256(await readFile(at))}`)) found.add('objects have other content than their key', key);
  for (const key of await loggedPresent(dir)) if (!objects.has(key)) found.add('keys the location log says are here have no object', key);
  return found.list();
}

/** Problems after the re-run: every file staged as an annexed file of its own content, nothing untracked. */
async function annexedProblems(dir: string, mode: Mode): Promise<string[]> {
  const found = new Findings();
  const staged = new Map((await git(dir, ['ls-files', '-s', '-z'])).stdout.split('\0').filter(Boolean).map((r) => {
    const tab = r.indexOf('\t');
    const [m, sha] = r.slice(0, tab).split(' ');
    return [r.slice(tab + 1), { mode: m!, sha: sha! }] as const;
  }));
  const paths = [...FILES.keys()].filter((p) => staged.has(p));
  const blobs = catBlobs(dir, paths.map((p) => staged.get(p)!.sha));
  for (const [path, content] of FILES) {
    const entry = staged.get(path);
    if (!entry) {
      found.add('files are not staged', path);
      continue;
    }
    const blob = blobs[paths.indexOf(path)]!.toString('utf8');
    const expectMode = mode === 'locked' ? entry.mode === '120000' : entry.mode === '100644' || entry.mode === '100755';
    const target = mode === 'locked' ? blob : blob.split('\n')[0]!;
    const key = posix.basename(target);
    if (!expectMode || !target.includes('annex/objects/')) found.add(`files are staged, but not as ${mode} annexed files`, `${path} ${entry.mode} ${JSON.stringify(blob.slice(0, 60))}`);
    else if (!key.startsWith(`SHA256E-s${content.length}--${sha256(content)}`)) found.add('files are staged with a key not of their content', `${path} ${key}`);
    const st = await lstat(join(dir, path)).catch(() => undefined);
    if (mode === 'locked' && st?.isSymbolicLink() && (await readlink(join(dir, path))) !== blob) found.add('symlinks differ from the staged ones', path);
    if (mode === 'locked' && st && !st.isSymbolicLink()) found.add('locked files are still regular files', path);
    const now = await readFile(join(dir, path)).catch(() => undefined);
    if (!now?.equals(content)) found.add('files do not read back their content', path);
  }
  for (const path of staged.keys()) if (!FILES.has(path)) found.add('unexpected index entries', path);
  const untracked = (await git(dir, ['ls-files', '-z', '--others', '--exclude-standard'])).stdout.split('\0').filter(Boolean);
  for (const path of untracked) found.add('untracked files are left', path);
  return found.list();
}

/** Both fscks; `strict` also fails when ferry's fsck had to add a missing location log line. */
async function fsckProblems(dir: string, when: string, strict: boolean): Promise<string[]> {
  const problems: string[] = [];
  const ours = await ferry(dir, ['fsck', '--json'], { expect: [] });
  if (ours.code !== 0) problems.push(`ferry fsck ${when} exited ${ours.code}: ${(ours.stderr + ours.stdout).slice(0, 600)}`);
  if (strict && ours.stdout.includes('fixing location log')) problems.push(`ferry fsck ${when} had to fix location logs: ${ours.stdout.split('\n').filter((l) => l.includes('fixing')).slice(0, 2).join(' ')}`);
  const theirs = await gitAnnex(dir, ['fsck', '--quiet'], { expect: [] });
  if (theirs.code !== 0) problems.push(`git annex fsck ${when} exited ${theirs.code}: ${(theirs.stderr + theirs.stdout).slice(0, 600)}`);
  return problems;
}

/** Commits, then nothing may be left to commit (unlocked files clean through the filter). */
async function commitProblems(dir: string): Promise<string[]> {
  const commit = await git(dir, ['commit', '-q', '-m', 'added'], { expect: [] });
  if (commit.code !== 0) return [`git commit exited ${commit.code}: ${commit.stderr.slice(0, 400)}`];
  const status = (await git(dir, ['status', '--porcelain'])).stdout;
  return status === '' ? [] : [`after the commit git status shows: ${status.split('\n').slice(0, 3).join(' | ')}`];
}

const variantEnv = (v: Variant): Record<string, string> => (v.batch === undefined ? {} : { FERRY_TEST_ADD_BATCH: String(v.batch) });

/** A full add with FERRY_TEST_TRACE, no crash: how often each checkpoint is reached; also a baseline check. */
async function calibrate(t: TestContext, v: Variant): Promise<{ counts: Map<string, number>; problems: string[] }> {
  const dir = await makeRepo(t, { init: 'ferry', files: Object.fromEntries(FILES) });
  const trace = join(dir, '.git', 'crash-test-trace');
  const r = await spawnGroup(dir, 'ferry', addArgs(v.mode, undefined), { ...variantEnv(v), FERRY_TEST_TRACE: trace }).done;
  const counts = new Map<string, number>();
  for (const { event } of await readTrace(trace)) counts.set(event, (counts.get(event) ?? 0) + 1);
  const problems = [...(r.code === 0 ? [] : [`a plain add exited ${r.code}: ${r.stderr.slice(0, 600)}`]),
    ...await annexedProblems(dir, v.mode), ...await fsckProblems(dir, 'after a plain add', true), ...await commitProblems(dir)];
  await removeTree(dir);
  return { counts, problems: problems.map((p) => `baseline ${v.name}: ${p}`) };
}

/**
 * Kill points from the calibration's counts: a per-file checkpoint (reached ≥ 20 times) at N spread over
 * 1..count, `object` also twice late in its phase (the re-run then has only a few objects to place); a
 * per-batch one at its first, middle and last occurrence. So checkpoints added to ferry are covered unasked.
 */
function planTrials(counts: ReadonlyMap<Variant, ReadonlyMap<string, number>>): Trial[] {
  const trials: Trial[] = [];
  const spread = (count: number, many: number) => (many <= 0 ? [] : [...new Set(Array.from({ length: many }, (_, i) =>
    1 + Math.round(((count - 1) * i) / Math.max(1, many - 1))))]);
  const add = (variant: Variant, point: string, n: number) =>
    trials.push({ variant, kill: { kind: 'hook', point, n }, jobs: JOBS[trials.length % JOBS.length] });
  for (const [v, c] of counts) {
    for (const [point, count] of c) {
      if (point === 'object') {
        for (const n of new Set([...spread(count, v.objects), Math.max(1, count - 8), Math.max(1, count - 2)])) add(v, point, n);
      } else if (count >= 20) {
        for (const n of spread(count, v.perFile)) add(v, point, n);
      } else {
        for (const n of spread(count, v.perBatch)) for (let r = 0; r < v.repeats; r++) add(v, point, n);
      }
    }
  }
  // One file at a time, and early: the kill lands a moment after the k-th rename, and the phase is short.
  for (const k of [1, 3, 10, 30]) trials.push({ variant: VARIANTS[0]!, kill: { kind: 'link', k }, jobs: 1 });
  return trials;
}

const killLabel = (k: Kill) => (k.kind === 'hook' ? `${k.point}:${k.n}` : `link-replace:${k.k}`);

async function runTrial(t: TestContext, trial: Trial): Promise<Outcome> {
  const dir = await makeRepo(KEEP_FAILED ? { after: () => undefined } : t, { init: 'ferry', files: Object.fromEntries(FILES) });
  const { kill, variant: { mode } } = trial;
  const trace = join(dir, '.git', 'crash-test-trace');
  const env = { ...variantEnv(trial.variant), ...(kill.kind === 'hook' ? { FERRY_TEST_CRASH: `${kill.point}:${kill.n}`, FERRY_TEST_TRACE: trace } : {}) };
  const run = spawnGroup(dir, 'ferry', addArgs(mode, trial.jobs), env);
  const unwatch = kill.kind === 'link' ? killAfterRenames(dir, run.child, kill.k) : () => undefined;
  const r = await run.done;
  unwatch();
  const problems: string[] = [];
  if (!await waitGroupGone(run.child.pid!)) problems.push('git processes of the killed add were still running after 20 s');
  const killed = r.signal === 'SIGKILL';
  if (kill.kind === 'hook') {
    const events = await readTrace(trace);
    const reached = events.filter((e) => e.event === kill.point).length;
    if (!killed || reached !== kill.n || events.at(-1)?.event !== kill.point) {
      problems.push(`not killed at ${killLabel(kill)}: exit ${r.code ?? r.signal}, checkpoint reached ${reached} times; ${r.stderr.slice(0, 300)}`);
    }
  }
  let links = 0;
  for (const path of FILES.keys()) if ((await lstat(join(dir, path)).catch(() => undefined))?.isSymbolicLink()) links++;
  problems.push(...await crashStateProblems(dir), ...await fsckProblems(dir, 'after the crash', false));
  const rerun = await ferry(dir, addArgs(mode, trial.jobs), { expect: [], env: variantEnv(trial.variant) });
  if (rerun.code !== 0) problems.push(`the first re-run of ferry add exited ${rerun.code}: ${(rerun.stderr || rerun.stdout).slice(0, 600)}`);
  problems.push(...await annexedProblems(dir, mode), ...await fsckProblems(dir, 'after the re-run', true), ...await commitProblems(dir));
  if (problems.length > 0 && KEEP_FAILED) problems.push(`repository kept at ${dir}`);
  else await removeTree(dir);
  return { killed, links, problems };
}

describe('crash test: kill -9 during ferry add', () => {
  useCrashTmpDir();

  it('after a kill at any point of add, both fscks pass and the first re-run annexes every file, losing nothing', async (t) => {
    const baseline = await Promise.all(VARIANTS.map((v) => calibrate(t, v)));
    const counts = new Map(VARIANTS.map((v, i) => [v, baseline[i]!.counts]));
    for (const [v, c] of counts) t.diagnostic(`checkpoints of one ${v.name} add of ${FILES.size} files: ${[...c].map(([p, n]) => `${p}×${n}`).join(', ')}`);
    assert.ok((counts.get(VARIANTS[0]!)!.get('object') ?? 0) >= FILES.size - 3, 'the add reaches the object checkpoint once per object');

    const trials = planTrials(counts);
    // Kills from outside run alone, after the rest: a busy test process would see the renames late.
    const byTrial = new Map<Trial, Outcome>();
    await mapPool(trials.filter((x) => x.kill.kind === 'hook'), PARALLEL, async (x) => byTrial.set(x, await runTrial(t, x)));
    for (const x of trials.filter((y) => y.kill.kind !== 'hook')) byTrial.set(x, await runTrial(t, x));
    const outcomes = trials.map((x) => byTrial.get(x)!);
    const byPoint = new Map<string, number>();
    for (const point of trials.map(({ kill }) => (kill.kind === 'hook' ? kill.point : 'link-replace'))) byPoint.set(point, (byPoint.get(point) ?? 0) + 1);
    const killed = outcomes.filter((o) => o.killed).length;
    const linkKills = outcomes.filter((_, i) => trials[i]!.kill.kind === 'link');
    const mid = linkKills.filter((o) => o.links > 0 && o.links < FILES.size).length;
    const failed = outcomes.filter((o) => o.problems.length > 0).length;
    t.diagnostic(`crash-add: ${trials.length} trials (${VARIANTS.map((v) => `${trials.filter((x) => x.variant === v).length} ${v.name}`).join(', ')}), ${killed} killed mid-write, `
      + `kill points: ${[...byPoint].map(([p, n]) => `${p}×${n}`).join(', ')}; ${mid} of ${linkKills.length} link-replace kills `
      + `stopped between the first and last symlink (symlinks left: ${linkKills.map((o) => o.links).join(', ')} of ${FILES.size}); ${failed} trials failed`);

    const failures = [...baseline.flatMap((b) => b.problems), ...outcomes.flatMap((o, i) =>
      o.problems.map((p) => `${trials[i]!.variant.name} ${killLabel(trials[i]!.kill)} jobs=${trials[i]!.jobs ?? 'default'}: ${p}`))];
    assert.deepEqual(failures, []);
    assert.ok(trials.length >= 50, `${trials.length} trials`);
    assert.ok(killed >= 40, `${killed} trials killed mid-write`);
  });

  it('git-annex 10.20230126 under the same crashes (reported, not asserted)', { skip: COMPARE_TRIALS <= 0 && 'FERRY_CRASH_COMPARE_TRIALS=0' }, async (t) => {
    const unique = new Set([...FILES.values()].map(sha256)).size;
    const ks = Array.from({ length: COMPARE_TRIALS }, (_, i) => 1 + Math.round(((unique - 10) * i) / Math.max(1, COMPARE_TRIALS - 1)));
    const outcomes = await mapPool(ks, PARALLEL, async (k, i) => {
      const mode: Mode = i % 2 === 0 ? 'locked' : 'unlocked';
      const dir = await makeRepo(t, { init: 'git-annex', files: Object.fromEntries(FILES) });
      if (mode === 'unlocked') await git(dir, ['config', 'annex.addunlocked', 'true']);
      const tmp = await tempDir(t); // killed, git-annex leaves its temp files (TMPDIR/hashPID-N) behind
      const run = spawnGroup(dir, 'git-annex', ['add', '.'], { TMPDIR: tmp });
      await killAfterObjects(dir, run.child, run.done, k);
      const r = await run.done;
      await waitGroupGone(run.child.pid!);
      const crashState = [...await crashStateProblems(dir), ...await fsckProblems(dir, 'after the crash', false)];
      const rerun = await gitAnnex(dir, ['add', '.'], { expect: [] });
      const annexed = await annexedProblems(dir, mode);
      const fsck = await fsckProblems(dir, 'after the re-run', false);
      await Promise.all([removeTree(dir), removeTree(tmp)]);
      return { k, mode, killed: r.signal === 'SIGKILL', crashState, rerunFailed: rerun.code !== 0, annexed, fsck, err: rerun.stderr.split('\n')[0] };
    });
    const count = (f: (o: (typeof outcomes)[number]) => boolean) => outcomes.filter(f).length;
    t.diagnostic(`git-annex comparison: ${outcomes.length} trials (kill after object ${outcomes.map((o) => `${o.k} ${o.mode}`).join(', ')}), ${count((o) => o.killed)} killed; `
      + `first re-run exited non-zero in ${count((o) => o.rerunFailed)}, left files unannexed or unreadable in ${count((o) => o.annexed.length > 0)}, `
      + `failed it in total in ${count((o) => o.rerunFailed || o.annexed.length > 0)}; files unreadable or an fsck failing right after the crash in ${count((o) => o.crashState.length > 0)}; `
      + `an fsck failed after the re-run in ${count((o) => o.fsck.length > 0)}`);
    for (const o of outcomes) {
      const notes = [...o.crashState.slice(0, 2), ...(o.rerunFailed ? [`re-run: ${o.err}`] : []), ...o.annexed.slice(0, 2), ...o.fsck.slice(0, 1)];
      if (notes.length > 0) t.diagnostic(`  git-annex (${o.mode}) killed after object ${o.k}: ${notes.join('; ')}`);
    }
  });
});
