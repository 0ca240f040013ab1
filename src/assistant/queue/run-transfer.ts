// One attempt at one queued transfer, with the code `ferry copy --to` and `ferry get --from` use (sendItems,
// getItems: verification, resume of a partial file or of a chunked upload, durability before the location
// log). What this adds is the assistant's side: the outcome sorted into done, give up, wait for space or try
// again later; and a download's unlocked files filled in while SelfWrites says the write is ferry's own.
import { lstat } from 'node:fs/promises';
import type { Annex } from '../../annex/index.js';
import { fillPointerFiles, parseKey } from '../../annex/index.js';
import type { Remote } from '../../remotes/index.js';
import { DiskReserveError, checkDiskReserve, diskReserve, getItems, sendItems } from '../../sync/index.js';
import type { TransferEvents, TransferItem } from '../../sync/index.js';
import { errorMessage } from '../../util/index.js';
import type { SelfWrites } from '../self-writes.js';
import type { QueuedTransfer } from './item.js';

export type AttemptOutcome =
  | { readonly kind: 'done' }
  /** Asking again cannot help (no such remote, content gone): the item leaves the queue. */
  | { readonly kind: 'give-up'; readonly error: string }
  /** The download would break annex.diskreserve: wait and check again, not counted as a failure. */
  | { readonly kind: 'no-space'; readonly error: string }
  | { readonly kind: 'failed'; readonly error: string };

export interface AttemptContext {
  readonly annex: Annex;
  readonly remotes: readonly Remote[];
  readonly selfWrites: SelfWrites;
  /** Bytes moved so far of this key. */
  progress(bytes: number): void;
}

export async function attemptTransfer(t: QueuedTransfer, ctx: AttemptContext): Promise<AttemptOutcome> {
  const remote = ctx.remotes.find((r) => r.name === t.remote);
  if (!remote) return { kind: 'give-up', error: `no remote named ${t.remote} here` };
  try {
    return t.direction === 'upload' ? await upload(t, remote, ctx) : await download(t, remote, ctx);
  } catch (err) {
    // A remote that cannot be reached (checkPresent threw), a full disk, a bug: all worth another try later.
    if (err instanceof DiskReserveError) return { kind: 'no-space', error: errorMessage(err) };
    return { kind: 'failed', error: errorMessage(err) };
  }
}

function itemOf(t: QueuedTransfer): TransferItem {
  // No `unlocked`: getItems must not fill the work tree itself; fillPaths does, under SelfWrites.
  return { key: t.key, size: parseKey(t.key)?.size, ...(t.paths[0] !== undefined ? { path: t.paths[0] } : {}) };
}

function events(ctx: AttemptContext, errors: string[]): TransferEvents {
  return {
    progress: (_item, bytes) => ctx.progress(bytes),
    done: (r) => { if (!r.ok) errors.push(r.error ?? 'failed'); },
  };
}

async function upload(t: QueuedTransfer, remote: Remote, ctx: AttemptContext): Promise<AttemptOutcome> {
  if (!(await ctx.annex.objects.has(t.key))) return { kind: 'give-up', error: 'the content is not here any more' };
  const errors: string[] = [];
  const { there } = await sendItems(ctx.annex, remote, [itemOf(t)], events(ctx, errors));
  if (there.has(t.key)) return { kind: 'done' };
  return { kind: 'failed', error: errors[0] ?? `${remote.name} did not take it` };
}

async function download(t: QueuedTransfer, remote: Remote, ctx: AttemptContext): Promise<AttemptOutcome> {
  const { annex } = ctx;
  if (!(await annex.objects.has(t.key))) {
    // Checked here so the item waits for space instead of failing; getItems checks again right before
    // it writes (space may go meanwhile: that attempt then fails and is retried like any other).
    await checkDiskReserve(annex, parseKey(t.key)?.size, diskReserve(annex));
    if (!(await remote.checkPresent(t.key))) return { kind: 'give-up', error: `${remote.name} does not have it` };
    const errors: string[] = [];
    await getItems(annex, [remote], [itemOf(t)], events(ctx, errors), { from: remote, jobs: 1 });
    if (errors.length > 0 || !(await annex.objects.has(t.key))) return { kind: 'failed', error: errors[0] ?? 'not received' };
  }
  await fillPaths(t, ctx);
  return { kind: 'done' };
}

/**
 * Fills in the item's files that are still pointer files (fillPointerFiles, the code `ferry get` uses:
 * temp copy, one rename, index refreshed), each marked as ferry's own write for the watcher until done,
 * then recorded with the stamp of what was left there. A file the user changed meanwhile is left alone and
 * recorded as not ours.
 */
async function fillPaths(t: QueuedTransfer, ctx: AttemptContext): Promise<void> {
  if (t.paths.length === 0) return;
  const releases = t.paths.map((path) => ({ path, release: ctx.selfWrites.begin(path) }));
  let filled = new Set<string>();
  try {
    filled = new Set(await fillPointerFiles(ctx.annex, t.paths.map((path) => ({ path, key: t.key }))));
  } finally {
    for (const { path, release } of releases) {
      const st = filled.has(path) ? await lstat(ctx.annex.repo.absPath(path)).catch(() => undefined) : undefined;
      release(st && { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino });
    }
  }
}
