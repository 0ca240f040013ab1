// kill -9 during `ferry sync --content`, at kill points spread over the sync's own progress: every checkpoint
// a traced sync reaches (src/util/trace.ts: blocks written while getting from and sending to the remote, keys
// received, objects placed in either repository, durability flushes, git-annex branch commits, and each
// step as it begins: commit, pull, push). The clone has uncommitted work (new
// locked and unlocked files, a deletion, a rename, a modified unlocked file) and the remote has new commits,
// so one sync commits, merges, moves content both ways and pushes. After each crash nothing may be lost, no
// object may be wrong, both fscks pass in both repositories (on copies: a fsck repairs what a re-run must
// repair itself), and the FIRST re-run of `ferry sync --content` finishes the job: the clone's work tree is the
// merge of both sides with every file's content, the remote holds every content and the clone's branch as
// synced/main, nothing is left to commit, no partial file is left, and no content was committed into git.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { badObjects, copyRepo, keySize, mapPool, objectKeys, partialFiles, sha256, spawnGroup, useCrashTmpDir, waitGroupGone } from '../helpers/crash.js';
import { testEnv } from '../helpers/env.js';
import { bytes, writeTree } from '../helpers/repo.js';
import { ferry, git, gitAnnex } from '../helpers/run.js';
import { readTrace } from '../helpers/trace.js';
import { removeTree, tempDir } from '../helpers/tmp.js';

const PARALLEL = Number(process.env.FERRY_CRASH_PARALLEL ?? 4);
const KEEP_FAILED = process.env.FERRY_CRASH_KEEP === '1';
const JOBS = [undefined, 1, 4];

type Tree = Map<string, Buffer>;
let seed = 1;
const make = (entries: [string, number][]): Tree => new Map(entries.map(([p, size]) => [p, bytes(seed++, size)]));
/** The remote's files when the clone was made: locked pictures and a large clip, unlocked notes. */
const ORIGIN_LOCKED = make([...Array.from({ length: 30 }, (_, i) => [`photos/img-${i}.jpg`, 8_000 + i * 900] as [string, number]), ['video/clip.mp4', 2_800_000]]);
const ORIGIN_UNLOCKED = make(Array.from({ length: 20 }, (_, i) => [`notes/note-${i}.txt`, 1 + ((i * 397) % 3000)] as [string, number]));
/** Committed in the remote after the clone was made. */
const ORIGIN_NEW = make([...Array.from({ length: 15 }, (_, i) => [`photos/new-${i}.jpg`, 12_000 + i * 700] as [string, number]), ['video/remote clip.mp4', 2_300_000]]);
/** Added in the clone, not committed. */
const CLONE_NEW_LOCKED = make([...Array.from({ length: 15 }, (_, i) => [`scans/scan-${i}.png`, 9_000 + i * 500] as [string, number]), ['video/local clip.mp4', 3_100_000]]);
const CLONE_NEW_UNLOCKED = make([...Array.from({ length: 10 }, (_, i) => [`drafts/draft-${i}.md`, 200 + i * 333] as [string, number]), ['drafts/big draft.bin', 1_900_000]]);
/** Changes in the clone, not committed: a deletion, a rename, and new content for an unlocked file. */
const DELETED = 'photos/img-3.jpg';
const RENAMED: [string, string] = ['photos/img-4.jpg', 'photos/renamed/img-4.jpg'];
const MODIFIED: [string, Buffer] = ['notes/note-5.txt', bytes(seed++, 2_222)];

/** The clone's work tree once both sides are merged. */
function expectedTree(): Tree {
  const tree = new Map([...ORIGIN_LOCKED, ...ORIGIN_UNLOCKED, ...ORIGIN_NEW, ...CLONE_NEW_LOCKED, ...CLONE_NEW_UNLOCKED]);
  tree.delete(DELETED);
  tree.set(RENAMED[1], tree.get(RENAMED[0])!);
  tree.delete(RENAMED[0]);
  tree.set(MODIFIED[0], MODIFIED[1]);
  return tree;
}
const EXPECTED = expectedTree();
/** Every content that exists somewhere before the sync and must still exist somewhere after any crash. */
const ALL_CONTENT = new Map([...ORIGIN_LOCKED, ...ORIGIN_UNLOCKED, ...ORIGIN_NEW, ...EXPECTED].map(([p, c]) => [sha256(c), p]));

/** SIGKILL at the n-th hit of a checkpoint (FERRY_TEST_CRASH). */
interface Kill { readonly point: string; readonly n: number }
interface Trial { readonly kill: Kill; readonly jobs: number | undefined }
interface Outcome { readonly killed: 'sync' | 'a child' | 'none'; readonly midWrite: boolean; readonly stalePartials: number; readonly problems: string[] }

const syncArgs = (jobs: number | undefined) => ['sync', '--content', ...(jobs === undefined ? [] : ['--jobs', String(jobs)])];
const label = (x: Trial) => `${x.kill.point}:${x.kill.n} jobs=${x.jobs ?? 'default'}`;

/** origin/ and clone/ in one directory, ready to sync; each trial works on a copy of it. */
async function makeTemplate(t: TestContext): Promise<string> {
  const root = await tempDir(t);
  const origin = join(root, 'origin');
  const clone = join(root, 'clone');
  await git(root, ['init', '-q', origin]);
  await ferry(origin, ['init', 'origin']);
  await writeTree(origin, Object.fromEntries(ORIGIN_LOCKED));
  await ferry(origin, ['add', '.']);
  await writeTree(origin, Object.fromEntries(ORIGIN_UNLOCKED));
  await ferry(origin, ['add', '--unlocked', '.']);
  await git(origin, ['commit', '-q', '-m', 'origin files']);
  await git(root, ['clone', '-q', origin, clone]);
  await ferry(clone, ['init', 'clone']);
  await writeTree(origin, Object.fromEntries(ORIGIN_NEW));
  await ferry(origin, ['add', '.']);
  await git(origin, ['commit', '-q', '-m', 'more origin files']);
  await writeTree(clone, Object.fromEntries(CLONE_NEW_LOCKED));
  await ferry(clone, ['add', ...CLONE_NEW_LOCKED.keys()]);
  await writeTree(clone, Object.fromEntries(CLONE_NEW_UNLOCKED));
  await ferry(clone, ['add', '--unlocked', ...CLONE_NEW_UNLOCKED.keys()]);
  await git(clone, ['rm', '-q', DELETED]);
  await mkdir(join(clone, dirname(RENAMED[1])), { recursive: true });
  await git(clone, ['mv', RENAMED[0], RENAMED[1]]);
  await writeFile(join(clone, MODIFIED[0]), MODIFIED[1]);
  return root;
}

/** A copy of the template whose clone's remote is the copy's origin. */
async function trialCopy(t: TestContext, template: string): Promise<{ origin: string; clone: string }> {
  const dir = await tempDir(KEEP_FAILED ? { after: () => undefined } : t);
  await rm(dir, { recursive: true });
  const r = spawnSync('cp', ['-a', template, dir]);
  if (r.status !== 0) throw new Error(`cp -a failed: ${r.stderr.toString()}`);
  const origin = join(dir, 'origin');
  const clone = join(dir, 'clone');
  await git(clone, ['remote', 'set-url', 'origin', origin]);
  return { origin, clone };
}

/** Blobs in `repo`'s git objects larger than any pointer or symlink: content committed into git. */
function contentInGit(repo: string): number {
  const r = spawnSync('git', ['cat-file', '--batch-all-objects', '--batch-check=%(objecttype) %(objectsize)'], { cwd: repo, env: testEnv() });
  return r.stdout.toString('utf8').split('\n').filter((l) => l.startsWith('blob ') && Number(l.split(' ')[1]) > 1024).length;
}

/** Problems right after a crash: content gone, wrong objects, partial files that cannot be prefixes. */
async function crashStateProblems(origin: string, clone: string): Promise<string[]> {
  const problems: string[] = [];
  const keys = new Set([...(await objectKeys(origin)).keys(), ...(await objectKeys(clone)).keys()]);
  const have = new Set([...keys].map((k) => /--([0-9a-f]{64})/.exec(k)?.[1]));
  // The clone's new and modified files are in its object store (added) or its work tree (the modified one).
  const modifiedNow = await readFile(join(clone, MODIFIED[0])).catch(() => undefined);
  if (modifiedNow?.equals(MODIFIED[1])) have.add(sha256(MODIFIED[1]));
  const lost = [...ALL_CONTENT].filter(([h]) => !have.has(h)).map(([, p]) => p);
  if (lost.length > 0) problems.push(`after the crash the content of ${lost.length} files is nowhere (${lost.slice(0, 4).join(', ')})`);
  for (const [repo, name] of [[origin, 'origin'], [clone, 'clone']] as const) {
    problems.push(...(await badObjects(repo)).map((k) => `after the crash an object in ${name} is not of its key: ${k}`));
    for (const [file, size] of await partialFiles(repo)) {
      if (size > (keySize(file) ?? Infinity)) problems.push(`after the crash the partial file ${file} in ${name} is longer than its key says`);
    }
  }
  return problems;
}

/**
 * Problems once the sync should have finished. A partial file may stay only for a key the merged tree no
 * longer names (the old content of the modified file, which a killed sync was getting before its commit
 * went in): nothing asks for that key again, and git-annex keeps such partials too (`unused` lists them).
 */
async function finishedProblems(origin: string, clone: string, stale: { count: number } = { count: 0 }): Promise<string[]> {
  const problems: string[] = [];
  const wanted = new Set([...EXPECTED.values()].map(sha256));
  const wrong: string[] = [];
  for (const [path, content] of EXPECTED) if (!(await readFile(join(clone, path)).catch(() => undefined))?.equals(content)) wrong.push(path);
  if (wrong.length > 0) problems.push(`${wrong.length} files in the clone do not read back their content (${wrong.slice(0, 4).join(', ')})`);
  const tracked = (await git(clone, ['ls-files', '-z'])).stdout.split('\0').filter(Boolean);
  const extra = tracked.filter((p) => !EXPECTED.has(p));
  if (extra.length > 0 || tracked.length !== EXPECTED.size) problems.push(`the clone tracks ${tracked.length} files, not ${EXPECTED.size} (unexpected: ${extra.slice(0, 4).join(', ')})`);
  const inOrigin = new Set([...(await objectKeys(origin)).keys()].map((k) => /--([0-9a-f]{64})/.exec(k)?.[1]));
  const missing = [...EXPECTED].filter(([, c]) => !inOrigin.has(sha256(c))).map(([p]) => p);
  if (missing.length > 0) problems.push(`origin lacks the content of ${missing.length} files (${missing.slice(0, 4).join(', ')})`);
  for (const [repo, name] of [[origin, 'origin'], [clone, 'clone']] as const) {
    problems.push(...(await badObjects(repo)).map((k) => `an object in ${name} is not of its key: ${k}`));
    const partials = [...(await partialFiles(repo)).keys()];
    const left = partials.filter((k) => wanted.has(/--([0-9a-f]{64})/.exec(k)?.[1] ?? ''));
    stale.count += partials.length - left.length;
    if (left.length > 0) problems.push(`partial files of wanted keys are left in ${name}'s .git/annex/tmp: ${left.slice(0, 3).join(', ')}`);
    const big = contentInGit(repo);
    if (big > 0) problems.push(`${big} blobs in ${name}'s git objects are file contents, not pointers`);
  }
  const status = (await git(clone, ['status', '--porcelain'])).stdout;
  if (status !== '') problems.push(`git status in the clone shows: ${status.split('\n').slice(0, 3).join(' | ')}`);
  const head = (await git(clone, ['rev-parse', 'refs/heads/main'])).stdout.trim();
  const synced = (await git(origin, ['rev-parse', '--verify', '-q', 'refs/heads/synced/main'], { expect: [] })).stdout.trim();
  if (synced !== head) problems.push(`origin's synced/main is ${synced || 'missing'}, not the clone's main ${head}`);
  return problems;
}

/** Both fscks in both repositories; `strict` also fails when ferry's fsck had to fix a location log. */
async function fsckProblems(origin: string, clone: string, when: string, strict: boolean): Promise<string[]> {
  const problems: string[] = [];
  for (const [repo, name] of [[origin, 'origin'], [clone, 'clone']] as const) {
    const ours = await ferry(repo, ['fsck', '--json'], { expect: [] });
    if (ours.code !== 0) problems.push(`ferry fsck in ${name} ${when} exited ${ours.code}: ${(ours.stderr + ours.stdout).slice(0, 600)}`);
    if (strict && ours.stdout.includes('fixing location log')) problems.push(`ferry fsck in ${name} ${when} had to fix location logs`);
    const theirs = await gitAnnex(repo, ['fsck', '--quiet'], { expect: [] });
    if (theirs.code !== 0) problems.push(`git annex fsck in ${name} ${when} exited ${theirs.code}: ${(theirs.stderr + theirs.stdout).slice(0, 600)}`);
  }
  return problems;
}

/** Kills `child` once `text` appears in what it prints. */
/** Checkpoints reached in processes git starts for ferry (the filter), not in `ferry sync` itself. */
const OTHER_PROCESSES = new Set(['filter-process']);

/**
 * Kill points from a calibration run with jobs=1: `receive-write` at blocks with more of the same large file
 * to come (aimed at with jobs=1 too; the sends to the remote overlap, so not every aim is exact) and spread
 * over all its hits; other per-key checkpoints spread over 1..count; the rest at up to four hits each.
 */
function planTrials(events: readonly { event: string; detail: string }[]): Trial[] {
  const trials: Trial[] = [];
  const counts = new Map<string, number>();
  for (const { event } of events) counts.set(event, (counts.get(event) ?? 0) + 1);
  const spread = (count: number, many: number) => [...new Set(Array.from({ length: many }, (_, i) =>
    1 + Math.round(((count - 1) * i) / Math.max(1, many - 1))))];
  const add = (kill: Kill, jobs = JOBS[trials.length % JOBS.length]) => trials.push({ kill, jobs });
  const writes = events.filter((e) => e.event === 'receive-write').map((e) => e.detail);
  const mid = writes.map((key, i) => ({ key, n: i + 1 })).filter(({ key, n }) => writes.indexOf(key, n) > n - 1 && (keySize(key) ?? 0) > 1 << 20);
  for (const i of spread(mid.length, 8)) if (mid[i - 1]) add({ point: 'receive-write', n: mid[i - 1]!.n }, 1);
  for (const [point, count] of counts) {
    if (OTHER_PROCESSES.has(point)) continue;
    if (point === 'receive-write') for (const n of spread(count, 10)) add({ point, n });
    else if (point === 'sync-step') for (let n = 1; n <= count; n++) add({ point, n }); // as each step begins
    else if (count >= 20) for (const n of spread(count, 5)) add({ point, n });
    else for (const n of spread(count, Math.min(count, 4))) add({ point, n });
  }
  return trials;
}

async function runTrial(t: TestContext, template: string, trial: Trial): Promise<Outcome> {
  const { origin, clone } = await trialCopy(t, template);
  const trace = join(clone, '.git', 'crash-test-trace');
  const { kill } = trial;
  const env: Record<string, string> = { FERRY_TEST_CRASH: `${kill.point}:${kill.n}`, FERRY_TEST_TRACE: trace };
  const run = spawnGroup(clone, 'ferry', syncArgs(trial.jobs), env);
  const r = await run.done;
  const problems: string[] = [];
  if (!await waitGroupGone(run.child.pid!)) problems.push('processes of the killed sync were still running after 20 s');
  let killed: Outcome['killed'] = r.signal === 'SIGKILL' ? 'sync' : 'none';
  // The trace holds the checkpoints of ferry processes git starts for the sync too (the filter, hooks),
  // each counting its own hits: the sync was killed where asked when its last event is the point.
  const events = await readTrace(trace);
  const reached = events.filter((e) => e.event === kill.point).length;
  if (killed === 'none' && reached >= kill.n) killed = 'a child';
  else if (killed !== 'sync' || reached < kill.n || events.at(-1)?.event !== kill.point) {
    problems.push(`not killed at ${kill.point}:${kill.n}: exit ${r.code ?? r.signal}, checkpoint reached ${reached} times; ${r.stderr.slice(0, 300)}`);
  }
  const midWrite = [...await partialFiles(origin), ...await partialFiles(clone)].some(([file, size]) => size > 0 && size < (keySize(file) ?? 0));
  const [originCopy, cloneCopy] = [copyRepo(origin), copyRepo(clone)];
  problems.push(...await crashStateProblems(origin, clone), ...await fsckProblems(originCopy, cloneCopy, 'after the crash', false));
  await Promise.all([removeTree(originCopy), removeTree(cloneCopy)]);
  const rerun = await ferry(clone, syncArgs(trial.jobs), { expect: [] });
  if (rerun.code !== 0) problems.push(`the first re-run of ferry sync exited ${rerun.code}: ${(rerun.stderr + rerun.stdout).slice(-800)}`);
  const stale = { count: 0 };
  problems.push(...await finishedProblems(origin, clone, stale), ...await fsckProblems(origin, clone, 'after the re-run', true));
  if (problems.length > 0 && KEEP_FAILED) problems.push(`repositories kept in ${join(clone, '..')}`);
  else await removeTree(join(clone, '..'));
  return { killed, midWrite, stalePartials: stale.count, problems };
}

describe('crash test: kill -9 during ferry sync --content', () => {
  useCrashTmpDir();

  it('after a kill at any point of sync, nothing is lost, both fscks pass and the first re-run finishes the sync', async (t) => {
    const template = await makeTemplate(t);
    // Baseline: an uninterrupted traced sync does the whole job; its checkpoints are the kill points.
    const { origin, clone } = await trialCopy(t, template);
    const trace = join(clone, '.git', 'crash-test-trace');
    const plain = await spawnGroup(clone, 'ferry', syncArgs(1), { FERRY_TEST_TRACE: trace }).done;
    const events = await readTrace(trace);
    const counts = new Map<string, number>();
    for (const { event } of events) counts.set(event, (counts.get(event) ?? 0) + 1);
    t.diagnostic(`checkpoints of one sync --content: ${[...counts].map(([p, n]) => `${p}×${n}`).join(', ')}`);
    const baseline = [...(plain.code === 0 ? [] : [`a plain sync exited ${plain.code}: ${plain.stderr.slice(0, 600)}`]),
      ...await finishedProblems(origin, clone), ...await fsckProblems(origin, clone, 'after a plain sync', true)].map((p) => `baseline: ${p}`);
    assert.deepEqual(baseline, []);

    const trials = planTrials(events);
    const outcomes = await mapPool(trials, PARALLEL, (x) => runTrial(t, template, x));
    const byPoint = new Map<string, number>();
    for (const { kill } of trials) {
      byPoint.set(kill.point, (byPoint.get(kill.point) ?? 0) + 1);
    }
    const count = (f: (o: Outcome) => boolean) => outcomes.filter(f).length;
    t.diagnostic(`crash-sync: ${trials.length} trials, sync killed in ${count((o) => o.killed === 'sync')}, a child ferry killed in ${count((o) => o.killed === 'a child')}; `
      + `kill points: ${[...byPoint].map(([p, n]) => `${p}×${n}`).join(', ')}; ${count((o) => o.midWrite)} kills landed mid-write (a partial file left shorter than its key); `
      + `${outcomes.reduce((s, o) => s + o.stalePartials, 0)} partial files of keys no longer wanted were left; ${count((o) => o.problems.length > 0)} trials failed`);
    const childKills = trials.filter((_, i) => outcomes[i]!.killed === 'a child').map(label);
    if (childKills.length > 0) t.diagnostic(`  only a child ferry (the filter) was killed at: ${childKills.join(', ')}`);
    assert.deepEqual(outcomes.flatMap((o, i) => o.problems.map((p) => `${label(trials[i]!)}: ${p}`)), []);
    assert.ok(trials.length >= 30, `${trials.length} trials`);
    assert.equal(count((o) => o.killed === 'none'), 0, 'every trial killed the sync or a ferry process it started');
    assert.ok(count((o) => o.killed === 'sync') >= 35, `the sync itself killed in ${count((o) => o.killed === 'sync')} trials`);
    assert.ok(count((o) => o.midWrite) >= 5, `${count((o) => o.midWrite)} kills landed mid-write`);
  });
});
