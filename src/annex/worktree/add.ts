// `ferry add`: files into the annex in batches, each batch in the order that survives a crash anywhere
// (docs/NOTES.md "Crash safety of add"):
//   1. hash each file and hard-link it into the object store (a copy for unlocked files); the user's file
//      keeps its name, so a crash here loses nothing;
//   2. check each file did not change meanwhile, and make the batch's objects durable (one flush);
//   3. commit the location logs to the git-annex branch (objects are durable before a log says so);
//   4. replace locked files by symlinks, then stage symlinks and pointers in the index in one command.
// A re-run after a crash at any point finds each file either untracked-as-before or an untracked annex
// symlink, and finishes the job.
import type { Stats } from 'node:fs';
import { lstatSync, readlinkSync, renameSync, symlinkSync, unlinkSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runGit, updateIndex, writeBlobs } from '../../git/index.js';
import type { IndexEntry } from '../../git/index.js';
import { DurableBatch, FerryError, checkpoint, debug, errorMessage, fileSystemError, mapPool, systemErrorCode } from '../../util/index.js';
import type { Annex } from '../annex.js';
import { locationLogPath, presenceChange, presentIn } from '../branch/index.js';
import { DEFAULT_BACKEND, FileChangedError, formatKey, keyForFile } from '../keys/index.js';
import { assertCanLock, withAnnexLock } from '../locking.js';
import type { Placement } from '../objects.js';
import { findCandidates } from './candidates.js';
import type { Candidate, CandidateOptions } from './candidates.js';
import { InodeCache } from './inode-cache.js';
import { formatPointer, symlinkTarget } from './pointer.js';

export interface AddOptions extends CandidateOptions {
  /** Paths relative to the top of the work tree; none means everything. */
  readonly paths: readonly string[];
  readonly backend?: string;
  readonly jobs?: number;
  readonly onResult?: (r: AddResult) => void;
}

export interface AddResult {
  readonly path: string;
  readonly key?: string;
  readonly to: 'annex' | 'git';
  readonly ok: boolean;
  readonly error?: string;
}

/** Files per batch; tests lower it (FERRY_TEST_ADD_BATCH) to get several batches from few files. */
const BATCH_FILES = Number(process.env.FERRY_TEST_ADD_BATCH) || 5000;
const BATCH_BYTES = 4 * 2 ** 30;

interface Ingested {
  readonly c: Candidate;
  readonly key: string;
  readonly stat: Stats;
  /** placed: by this run; present: it was already in the store; absent: an annex link whose content is elsewhere. */
  readonly placement: Placement | 'absent';
  /** The object is a new hard link to the user's file (locked, or annex.thin): it shares its changes. */
  readonly linked: boolean;
}

export async function addFiles(annex: Annex, opts: AddOptions): Promise<AddResult[]> {
  const started = Date.now();
  await assertCanLock(annex.repo.layout);
  const candidates = await findCandidates(annex, opts.paths, opts);
  debug(`add: ${candidates.length} candidates after ${Date.now() - started} ms`);
  const results: AddResult[] = [];
  const report = (r: AddResult) => {
    results.push(r);
    opts.onResult?.(r);
  };
  const toAnnex = candidates.filter((c) => c.dest.to !== 'git');
  const toGit = candidates.filter((c) => c.dest.to === 'git');
  const inodes = new InodeCache(annex.repo.layout.ferryDir);
  const placed = new Set<string>();
  // Batches overlap by one: while one batch's git work runs (its branch commit and staging, mostly waiting
  // on git processes), the next batch is hashed and placed. Each batch keeps its own order.
  let finishing: Promise<void> | undefined;
  try {
    for (const batch of batches(toAnnex)) {
      const prepared = await prepareBatch(annex, batch, opts, { inodes, placed }, report);
      await finishing;
      finishing = finishBatch(annex, prepared, { inodes, placed }, report);
      finishing.catch(() => undefined); // awaited in turn; this only keeps it from counting as unhandled meanwhile
    }
  } catch (err) {
    await finishing?.catch(() => undefined); // let the batch in flight finish before reporting
    throw err;
  }
  await finishing;
  if (toGit.length > 0) {
    // Plain git add of the small files; git runs ferry's clean filter, which leaves them in git.
    await runGit(annex.repo.git, ['update-index', '--add', '-z', '--stdin'], { input: toGit.map((c) => c.path).join('\0') + '\0' });
    for (const c of toGit) report({ path: c.path, to: 'git', ok: true });
  }
  return results;
}

function* batches(items: readonly Candidate[]): Generator<Candidate[]> {
  let batch: Candidate[] = [];
  let bytes = 0;
  for (const c of items) {
    batch.push(c);
    bytes += c.stat.size;
    if (batch.length >= BATCH_FILES || bytes >= BATCH_BYTES) {
      yield batch;
      batch = [];
      bytes = 0;
    }
  }
  if (batch.length > 0) yield batch;
}

interface RunState {
  readonly inodes: InodeCache;
  /** Keys this run put in the store (vouched for by this run's own hashing). */
  readonly placed: Set<string>;
}

/** A batch whose content is in the object store and durable, ready to be recorded and staged. */
interface PreparedBatch {
  readonly good: readonly Ingested[];
  /** Keys found bad with nothing to replace them from (see checkUnvouched). */
  readonly lost: ReadonlySet<string>;
  readonly phase: (name: string) => void;
}

function failure(report: (r: AddResult) => void): (c: Candidate, err: unknown) => void {
  return (c, err) => report({ path: c.path, to: 'annex', ok: false, error: errorMessage(err) });
}

/** Steps 1 and 2: content into the store, checked unchanged, durable. */
async function prepareBatch(annex: Annex, batch: readonly Candidate[], opts: AddOptions, run: RunState, report: (r: AddResult) => void): Promise<PreparedBatch> {
  const repo = annex.repo;
  const jobs = opts.jobs ?? 8;
  // missingOk: the object of a file that changed while hashed is removed again before the flush (step 2).
  const durable = new DurableBatch({ missingOk: true });
  const failed = failure(report);
  const started = Date.now();
  const phase = (name: string) => debug(`add: batch of ${batch.length}: ${name} at ${Date.now() - started} ms`);
  // 1. Hash and place in the object store.
  const ingested = (await mapPool(batch, jobs, async (c): Promise<Ingested | undefined> => {
    try {
      return await ingest(annex, c, opts.backend, durable);
    } catch (err) {
      if (!(err instanceof FerryError)) throw err;
      failed(c, err);
      return undefined;
    }
  })).filter((x): x is Ingested => x !== undefined);

  // 2. Nothing may have changed since hashing (with a hard link, a change to the file is a change to the
  //    object); then one durability flush for the whole batch.
  const good = (await mapPool(ingested, jobs, async (i) => {
    const now = lstatSync(repo.absPath(i.c.path), { throwIfNoEntry: false });
    if (now && sameContent(now, i.stat)) return i;
    if (i.linked) {
      // The link made the user's file read-only and shares its (changed) bytes: undo both.
      await annex.objects.remove(i.key);
      if (now) await chmod(repo.absPath(i.c.path), i.c.stat.mode & 0o7777).catch(() => undefined);
    }
    failed(i.c, new FileChangedError(i.c.path, 'changed'));
    return undefined;
  })).filter((x): x is Ingested => x !== undefined);
  for (const i of good) if (i.placement === 'placed') run.placed.add(i.key);
  const lost = await checkUnvouched(annex, good.filter((i) => i.placement === 'present' && !run.placed.has(i.key)), durable);
  phase('ingested');
  await durable.flush(repo.layout.objectsDir);
  phase('durable');
  return { good, lost, phase };
}

/** Steps 3 and 4: the branch records the batch, then the work tree and the index get it. */
async function finishBatch(annex: Annex, batch: PreparedBatch, run: RunState, report: (r: AddResult) => void): Promise<void> {
  const { good, lost, phase } = batch;
  const repo = annex.repo;
  const layout = repo.layout;
  const failed = failure(report);
  // 3. The git-annex branch records the (now durable) objects, in one commit.
  const changes = new Map<string, (old: string) => string>();
  for (const i of good) {
    if (i.placement !== 'absent' && !lost.has(i.key)) changes.set(locationLogPath(i.key), presenceChange(annex.uuid, true));
  }
  await annex.branch.commit('update', changes);
  phase('branch committed');

  // 4. The work tree and the index.
  const entries = await withAnnexLock(layout, layout.otherTmpLock, 'shared', async () => {
    await mkdir(layout.otherTmpDir, { recursive: true });
    return good.map((i, n): { i: Ingested; blob: string; mode: string } | undefined => {
      try {
        if (i.c.dest.to === 'annex' && i.c.dest.unlocked) {
          return { i, blob: formatPointer(i.key), mode: i.stat.mode & 0o111 ? '100755' : '100644' };
        }
        const target = symlinkTarget(i.c.path, i.key);
        if (i.c.dest.to === 'annex') {
          replaceWithSymlink(repo.absPath(i.c.path), target, join(layout.otherTmpDir, `ferry-link-${process.pid}-${n}`));
          checkpoint('link', i.c.path);
        } else if (readlinkSync(repo.absPath(i.c.path)) !== target) {
          // A link moved to another directory: staged right, so the work tree's must be made right too.
          replaceWithSymlink(repo.absPath(i.c.path), target, join(layout.otherTmpDir, `ferry-link-${process.pid}-${n}`));
        }
        return { i, blob: target, mode: '120000' };
      } catch (err) {
        failed(i.c, err);
        return undefined;
      }
    });
  });
  phase('work tree updated');
  const staged = entries.filter((e): e is NonNullable<typeof e> => e !== undefined);
  const shas = await writeBlobs(repo.git, staged.map((e) => e.blob));
  const indexEntries: IndexEntry[] = staged.map((e, n) => ({ mode: e.mode, sha: shas[n]!, path: e.i.c.path }));
  await withAnnexLock(layout, layout.gitQueueLock, 'exclusive', () => updateIndex(repo.git, indexEntries));
  checkpoint('stage', String(indexEntries.length));
  phase('staged');
  await run.inodes.record(staged.filter((e) => e.mode !== '120000').map((e) => ({ path: e.i.c.path, stat: e.i.stat, key: e.i.key })));
  for (const e of staged) report({ path: e.i.c.path, key: e.i.key, to: 'annex', ok: true });
}

/** Hashes one file and puts its content in the object store (link for locked, copy for unlocked). */
async function ingest(annex: Annex, c: Candidate, backendOption: string | undefined, durable: DurableBatch): Promise<Ingested> {
  const abs = annex.repo.absPath(c.path);
  if (c.dest.to === 'annex-link') {
    const placement = (await annex.objects.has(c.dest.key)) ? 'present' : 'absent';
    return { c, key: c.dest.key, stat: c.stat, placement, linked: false };
  }
  const backend = backendOption ?? c.backend ?? annex.repo.config.get('annex.backend') ?? DEFAULT_BACKEND;
  const maxExt = annex.repo.config.int('annex.maxextensionlength');
  const hashed = await keyForFile(abs, c.path, backend, maxExt === undefined ? undefined : { maxExtensionLength: maxExt });
  const key = formatKey(hashed.key);
  checkpoint('hashed', c.path);
  const unlocked = c.dest.to === 'annex' && c.dest.unlocked;
  const thin = unlocked && annex.repo.config.bool('annex.thin', false);
  const placement = await place(annex, c, key, durable);
  return { c, key, stat: hashed.stat, placement, linked: placement === 'placed' && (!unlocked || thin) };
}

/**
 * Puts the file's content in the store. Unlocked content is copied, so editing the file cannot change the
 * object; with annex.thin it is a second name of the same inode instead, as git-annex does (half the
 * disk, at that risk); locked content is linked.
 */
function place(annex: Annex, c: Candidate, key: string, durable: DurableBatch): Promise<Placement> {
  const abs = annex.repo.absPath(c.path);
  const unlocked = c.dest.to === 'annex' && c.dest.unlocked;
  const thin = unlocked && annex.repo.config.bool('annex.thin', false);
  return unlocked && !thin ? annex.objects.copyIn(key, abs, durable) : annex.objects.linkIn(key, abs, durable, { thin });
}

/**
 * An object that was already in the store but that no location log vouches for (left by a killed run, or
 * put there by someone else) is checked against its key before this run's log vouches for it; a bad one is
 * replaced from the file just hashed. Returns the keys left without content (bad, and nothing to replace
 * them from: an annex link's content lives only in the object).
 */
async function checkUnvouched(annex: Annex, items: readonly Ingested[], durable: DurableBatch): Promise<Set<string>> {
  const lost = new Set<string>();
  if (items.length === 0) return lost;
  const keys = [...new Set(items.map((i) => i.key))];
  const logs = await annex.branch.getMany(keys.map(locationLogPath));
  const unvouched = keys.filter((k) => !presentIn(logs.get(locationLogPath(k)) ?? '').includes(annex.uuid));
  await mapPool(unvouched, 4, async (key) => {
    if (await annex.objects.verify(key)) return;
    await annex.objects.remove(key);
    const from = items.find((i) => i.key === key && i.c.dest.to === 'annex');
    if (from) await place(annex, from.c, key, durable);
    else lost.add(key);
  });
  return lost;
}

/** Same bytes as when hashed: same inode, size and modification time (link and chmod change only ctime). */
function sameContent(now: Stats, then: Stats): boolean {
  return now.ino === then.ino && now.size === then.size && now.mtimeMs === then.mtimeMs;
}

/**
 * Swaps the file at `abs` for a symlink to `target` in one rename, so the name never goes missing.
 * Synchronous, like the object store's metadata calls (objects.ts says why).
 */
function replaceWithSymlink(abs: string, target: string, tmp: string): void {
  try {
    try {
      symlinkSync(target, tmp);
    } catch (err) {
      if (systemErrorCode(err) !== 'EEXIST') throw err;
      unlinkSync(tmp); // left by a killed run with the same pid
      symlinkSync(target, tmp);
    }
    renameSync(tmp, abs);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already renamed: nothing to clean up
    }
    throw fileSystemError(err, 'replace with a symlink', abs);
  }
}
