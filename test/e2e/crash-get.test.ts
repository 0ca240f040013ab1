// kill -9 during `ferry get` from a path remote, at kill points spread over the get's own progress: every
// checkpoint a traced get reaches (src/util/trace.ts: after each block written to a partial file, after a key
// is received and verified, after each object is placed, after the durability flushes and the branch commit),
// with the block kills aimed at the middle of the large files so that they land mid-write. After each crash
// the clone's objects must all be right, nothing may be logged that is not there, both fscks pass (run on a
// copy: git-annex's fsck fills unlocked files, which would hide a re-run that does not), the source is
// untouched, and the FIRST re-run of `ferry get` finishes the job: every file reads back its content, locked
// and unlocked, with nothing left to commit and no partial file left behind. A second test kills the filter
// process git runs while get re-stages the unlocked files it filled.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { badObjects, copyRepo, keySize, mapPool, objectKeys, partialFiles, sha256, spawnGroup, useCrashTmpDir, waitGroupGone } from '../helpers/crash.js';
import { bytes, makeRepo, writeTree } from '../helpers/repo.js';
import { ferry, git, gitAnnex } from '../helpers/run.js';
import { readTrace } from '../helpers/trace.js';
import { removeTree, tempDir } from '../helpers/tmp.js';

const PARALLEL = Number(process.env.FERRY_CRASH_PARALLEL ?? 4);
const KEEP_FAILED = process.env.FERRY_CRASH_KEEP === '1';
const JOBS = [undefined, 1, 4];

/** ~120 files: notes (unlocked), pictures, three multi-MiB clips (one unlocked), duplicates, an empty file. */
function fixture(): { locked: Map<string, Buffer>; unlocked: Map<string, Buffer> } {
  const locked = new Map<string, Buffer>();
  const unlocked = new Map<string, Buffer>();
  let seed = 1;
  for (let i = 0; i < 60; i++) unlocked.set(`docs/note-${i}.txt`, bytes(seed++, 1 + ((i * 397) % 4000)));
  for (let i = 0; i < 40; i++) locked.set(`photos/img-${i}.jpg`, bytes(seed++, 10_000 + i * 1_000));
  for (let i = 0; i < 2; i++) locked.set(`video/clip-${i}.mp4`, bytes(seed++, 3_000_000 + i * 1_700_000));
  unlocked.set('video/unlocked clip.mp4', bytes(seed++, 2_600_000));
  const dup = bytes(seed++, 200_000);
  locked.set('dup-a.bin', dup);
  locked.set('dup-b.bin', dup);
  unlocked.set('docs/copy of note-1.txt', unlocked.get('docs/note-1.txt')!);
  locked.set('empty', Buffer.alloc(0));
  locked.set('ünï cödé.txt', bytes(seed++, 777));
  return { locked, unlocked };
}
const { locked: LOCKED, unlocked: UNLOCKED } = fixture();
const FILES = new Map([...LOCKED, ...UNLOCKED]);
const KEYS = new Set([...FILES.values()].map(sha256)).size;

type Kill = { readonly point: string; readonly n: number };
interface Trial { readonly kill: Kill; readonly jobs: number | undefined; readonly aim?: string }
interface Outcome { readonly killed: boolean; readonly midWrite: boolean; readonly partials: number; readonly problems: string[] }

const getArgs = (jobs: number | undefined) => ['get', ...(jobs === undefined ? [] : ['--jobs', String(jobs)]), '.'];
const label = (x: Trial) => `${x.kill.point}:${x.kill.n}${x.aim ? ` (${x.aim})` : ''} jobs=${x.jobs ?? 'default'}`;

/** The source: a ferry repository holding every file, some unlocked, committed. */
async function makeOrigin(t: TestContext): Promise<string> {
  const origin = await makeRepo(t, { init: 'ferry', description: 'origin', files: Object.fromEntries(LOCKED) });
  await ferry(origin, ['add', '.']);
  await writeTree(origin, Object.fromEntries(UNLOCKED));
  await ferry(origin, ['add', '--unlocked', '.']);
  await git(origin, ['commit', '-q', '-m', 'files']);
  return origin;
}

async function makeClone(t: TestContext, origin: string): Promise<string> {
  const dir = join(await tempDir(KEEP_FAILED ? { after: () => undefined } : t), 'clone');
  await git(origin, ['clone', '-q', origin, dir]);
  await ferry(dir, ['init', 'clone']);
  return dir;
}

/** Problems right after a crash: an object not of its key, partial files that are not a prefix of their content. */
async function crashStateProblems(dir: string): Promise<string[]> {
  const problems = (await badObjects(dir)).map((k) => `after the crash an object is not of its key: ${k}`);
  const byKey = new Map([...FILES.values()].map((c) => [sha256(c), c]));
  for (const [name, size] of await partialFiles(dir)) {
    const content = byKey.get(/--([0-9a-f]{64})/.exec(name)?.[1] ?? '');
    if (!content) problems.push(`after the crash .git/annex/tmp holds ${name}, which is no key of this get`);
    else if (size > content.length) problems.push(`after the crash the partial file of ${name} is longer than its content (${size})`);
  }
  return problems;
}

/** Problems once a get should have finished: files not reading back, leftovers, anything to commit. */
async function finishedProblems(dir: string): Promise<string[]> {
  const problems: string[] = [];
  const wrong: string[] = [];
  for (const [path, content] of FILES) {
    const now = await readFile(join(dir, path)).catch(() => undefined);
    if (!now?.equals(content)) wrong.push(path);
  }
  if (wrong.length > 0) problems.push(`${wrong.length} files do not read back their content (${wrong.slice(0, 4).join(', ')})`);
  const objects = await objectKeys(dir);
  if (objects.size !== KEYS) problems.push(`${objects.size} objects, not ${KEYS}`);
  problems.push(...(await badObjects(dir)).map((k) => `an object is not of its key: ${k}`));
  const partials = await partialFiles(dir);
  if (partials.size > 0) problems.push(`partial files are left in .git/annex/tmp: ${[...partials.keys()].slice(0, 3).join(', ')}`);
  const status = (await git(dir, ['status', '--porcelain'])).stdout;
  if (status !== '') problems.push(`git status shows: ${status.split('\n').slice(0, 3).join(' | ')}`);
  return problems;
}

/** Both fscks; `strict` also fails when ferry's fsck had to add a missing location log line. */
async function fsckProblems(dir: string, when: string, strict: boolean): Promise<string[]> {
  const problems: string[] = [];
  const ours = await ferry(dir, ['fsck', '--json'], { expect: [] });
  if (ours.code !== 0) problems.push(`ferry fsck ${when} exited ${ours.code}: ${(ours.stderr + ours.stdout).slice(0, 600)}`);
  if (strict && ours.stdout.includes('fixing location log')) problems.push(`ferry fsck ${when} had to fix location logs`);
  const theirs = await gitAnnex(dir, ['fsck', '--quiet'], { expect: [] });
  if (theirs.code !== 0) problems.push(`git annex fsck ${when} exited ${theirs.code}: ${(theirs.stderr + theirs.stdout).slice(0, 600)}`);
  return problems;
}

/** A full traced get (jobs=1, so the order of its blocks is known), also checked as a baseline. */
async function calibrate(t: TestContext, origin: string): Promise<{ events: { event: string; detail: string }[]; problems: string[] }> {
  const dir = await makeClone(t, origin);
  const trace = join(dir, '.git', 'crash-test-trace');
  const r = await spawnGroup(dir, 'ferry', getArgs(1), { FERRY_TEST_TRACE: trace }).done;
  const events = await readTrace(trace);
  const problems = [...(r.code === 0 ? [] : [`a plain get exited ${r.code}: ${r.stderr.slice(0, 600)}`]),
    ...await finishedProblems(dir), ...await fsckProblems(dir, 'after a plain get', true)];
  await removeTree(dir);
  return { events, problems: problems.map((p) => `baseline: ${p}`) };
}

/** Checkpoints reached in processes git starts for ferry (the filter), not in `ferry get` itself. */
const OTHER_PROCESSES = new Set(['filter-process']);

/**
 * Kill points from the calibration: `receive-write` at blocks in the middle of the large files (jobs=1, so
 * the N-th block is the one aimed at) and spread over all its hits; every other per-key checkpoint spread
 * over 1..count, `object` also late; a per-batch one at its first, middle and last hit, with each -J.
 */
function planTrials(events: readonly { event: string; detail: string }[]): Trial[] {
  const trials: Trial[] = [];
  const counts = new Map<string, number>();
  for (const { event } of events) if (!OTHER_PROCESSES.has(event)) counts.set(event, (counts.get(event) ?? 0) + 1);
  const spread = (count: number, many: number) => [...new Set(Array.from({ length: many }, (_, i) =>
    1 + Math.round(((count - 1) * i) / Math.max(1, many - 1))))];
  const add = (point: string, n: number, jobs = JOBS[trials.length % JOBS.length], aim?: string) => trials.push({ kill: { point, n }, jobs, aim });
  // The n-th receive-write whose key's next write is its own: a block with more of the same file to come.
  const writes = events.filter((e) => e.event === 'receive-write').map((e) => e.detail);
  const mid = writes.map((key, i) => ({ key, n: i + 1 })).filter(({ key, n }) => writes[n] === key);
  for (const i of spread(mid.length, 8)) {
    const m = mid[i - 1];
    if (m) add('receive-write', m.n, 1, `block ${m.n - writes.indexOf(m.key)} of ${Math.ceil((keySize(m.key) ?? 0) / (1 << 20))} of a large file`);
  }
  for (const [point, count] of counts) {
    if (point === 'object') for (const n of new Set([...spread(count, 6), Math.max(1, count - 2)])) add(point, n);
    else if (count >= 20) for (const n of spread(count, 6)) add(point, n);
    else for (const n of spread(count, 3)) for (const jobs of JOBS) add(point, n, jobs);
  }
  return trials;
}

async function runTrial(t: TestContext, origin: string, trial: Trial): Promise<Outcome> {
  const dir = await makeClone(t, origin);
  const trace = join(dir, '.git', 'crash-test-trace');
  const { kill } = trial;
  const run = spawnGroup(dir, 'ferry', getArgs(trial.jobs), { FERRY_TEST_CRASH: `${kill.point}:${kill.n}`, FERRY_TEST_TRACE: trace });
  const r = await run.done;
  const problems: string[] = [];
  if (!await waitGroupGone(run.child.pid!)) problems.push('git processes of the killed get were still running after 20 s');
  const killed = r.signal === 'SIGKILL';
  const events = await readTrace(trace);
  const reached = events.filter((e) => e.event === kill.point).length;
  if (!killed || reached !== kill.n || events.at(-1)?.event !== kill.point) {
    problems.push(`not killed at ${kill.point}:${kill.n}: exit ${r.code ?? r.signal}, checkpoint reached ${reached} times; ${r.stderr.slice(0, 300)}`);
  }
  const partials = await partialFiles(dir);
  const midWrite = [...partials].some(([name, size]) => size > 0 && size < (keySize(name) ?? 0));
  const copy = copyRepo(dir);
  problems.push(...await crashStateProblems(dir), ...await fsckProblems(copy, 'after the crash', false));
  await removeTree(copy);
  const rerun = await ferry(dir, getArgs(trial.jobs), { expect: [] });
  if (rerun.code !== 0) problems.push(`the first re-run of ferry get exited ${rerun.code}: ${(rerun.stderr || rerun.stdout).slice(0, 600)}`);
  problems.push(...await finishedProblems(dir), ...await fsckProblems(dir, 'after the re-run', true));
  if (problems.length > 0 && KEEP_FAILED) problems.push(`repository kept at ${dir}`);
  else await removeTree(dir);
  return { killed, midWrite, partials: partials.size, problems };
}

/** The source after every trial: objects of their keys, files as added, both fscks clean, nothing to commit. */
async function originProblems(origin: string): Promise<string[]> {
  const problems = [...(await badObjects(origin)).map((k) => `the source's object is not of its key: ${k}`)];
  if ((await objectKeys(origin)).size !== KEYS) problems.push('the source lost objects');
  for (const [path, content] of FILES) {
    if (!(await readFile(join(origin, path)).catch(() => undefined))?.equals(content)) problems.push(`the source's ${path} changed`);
  }
  const status = (await git(origin, ['status', '--porcelain'])).stdout;
  if (status !== '') problems.push(`git status in the source shows: ${status.split('\n').slice(0, 3).join(' | ')}`);
  return [...problems, ...await fsckProblems(origin, 'in the source', true)];
}

describe('crash test: kill -9 during ferry get', () => {
  useCrashTmpDir();

  it('after a kill at any point of get, both fscks pass, the source is intact and the first re-run gets every file', async (t) => {
    const origin = await makeOrigin(t);
    const { events, problems: baseline } = await calibrate(t, origin);
    const counts = new Map<string, number>();
    for (const { event } of events) counts.set(event, (counts.get(event) ?? 0) + 1);
    t.diagnostic(`checkpoints of one get of ${FILES.size} files (${KEYS} keys): ${[...counts].map(([p, n]) => `${p}×${n}`).join(', ')}`);
    assert.equal(counts.get('received'), KEYS, 'the get reaches the received checkpoint once per key');

    const trials = planTrials(events);
    const outcomes = await mapPool(trials, PARALLEL, (x) => runTrial(t, origin, x));
    const byPoint = new Map<string, number>();
    for (const { kill } of trials) byPoint.set(kill.point, (byPoint.get(kill.point) ?? 0) + 1);
    const killed = outcomes.filter((o) => o.killed).length;
    const midWrite = outcomes.filter((o) => o.midWrite).length;
    const failed = outcomes.filter((o) => o.problems.length > 0).length;
    t.diagnostic(`crash-get: ${trials.length} trials, ${killed} killed, kill points: ${[...byPoint].map(([p, n]) => `${p}×${n}`).join(', ')}; `
      + `${midWrite} kills landed mid-write (a partial file left shorter than its key), ${outcomes.filter((o) => o.partials > 0).length} left a partial file; ${failed} trials failed`);

    const failures = [...baseline, ...outcomes.flatMap((o, i) => o.problems.map((p) => `${label(trials[i]!)}: ${p}`)), ...await originProblems(origin)];
    assert.deepEqual(failures, []);
    assert.ok(trials.length >= 30, `${trials.length} trials`);
    assert.ok(killed === trials.length, `${killed} of ${trials.length} trials killed`);
    assert.ok(midWrite >= 8, `${midWrite} kills landed mid-write`);
  });
});

describe('kill -9 of the filter process while ferry get re-stages unlocked files', () => {
  useCrashTmpDir();

  it('git stages nothing but pointers, the get says it failed, and the re-run completes', async (t) => {
    const origin = await makeOrigin(t);
    const dir = await makeClone(t, origin);
    const r = await ferry(dir, ['get', '.'], { env: { FERRY_TEST_CRASH: 'filter-process:1' }, expect: [] });
    assert.notEqual(r.code, 0, 'the get reports the failure');
    assert.match(r.stderr, /clean filter 'annex' failed/);
    assert.equal((await git(dir, ['diff', '--cached', '--name-only'])).stdout, '', 'the index still holds the pointers');
    await ferry(dir, ['get', '.']);
    const wrong = [];
    for (const [path, content] of FILES) if (!(await readFile(join(dir, path)).catch(() => undefined))?.equals(content)) wrong.push(path);
    assert.deepEqual(wrong, []);
    assert.equal((await git(dir, ['diff', '--name-only'])).stdout, '', 'the work tree cleans to what is staged');
    assert.deepEqual(await fsckProblems(dir, 'after the re-run', true), []);
    const stale = (await git(dir, ['status', '--porcelain'])).stdout.split('\n').filter(Boolean).length;
    t.diagnostic(`after the re-run git status lists ${stale} of ${UNLOCKED.size} unlocked files as modified (index stat data not refreshed; git diff is empty)`);
  });
});
