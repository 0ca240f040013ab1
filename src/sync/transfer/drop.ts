// drop (and the second half of move): removing content from this repository or a remote, only with proof
// that enough other copies exist now (proof.ts). The copy being dropped is locked exclusively first, as
// git-annex locks it; the log says absent before the content goes; --force skips the proof and says so.
import type { Annex, PolicyItem, TrustLevel } from '../../annex/index.js';
import { policyItem, contentLocksWork, locationLogPath, lockContent, presenceChange, presentIn, removeContentLockFile } from '../../annex/index.js';
import type { Remote } from '../../remotes/index.js';
import { FerryError, checkpoint, errorMessage } from '../../util/index.js';
import type { TransferItem } from './items.js';
import { proveCopies } from './proof.js';
import type { ProofNeed } from './proof.js';
import type { TransferEvents, TransferResult } from './results.js';
import { emptyDroppedFiles } from './worktree.js';

export interface DropPolicy {
  need(item: TransferItem): Promise<ProofNeed>;
  trust(uuid: string): TrustLevel;
  /** Whether `uuid`'s required content keeps it from dropping `item`. */
  required(uuid: string, item: PolicyItem): Promise<boolean>;
}

export interface DropOptions {
  /** Drop from this remote instead of from here. */
  readonly from?: Remote;
  /** Skip the proof and the required-content check (git-annex's --force): the last copy can be lost. */
  readonly force?: boolean;
  /** "Rather than dropping this file, try using: ferry move" (said for drops from here of files). */
  readonly suggestMove?: boolean;
}

export class UnsafeDropError extends FerryError {
  constructor(readonly note: string) {
    super(note.split('\n').filter(Boolean).join(' '), { data: { note } });
  }
}

/** Drops the items whose content is in the target; others get no result (nothing to drop). */
export async function dropItems(annex: Annex, remotes: readonly Remote[], items: readonly TransferItem[], policy: DropPolicy,
  events: TransferEvents, opts: DropOptions = {}): Promise<TransferResult[]> {
  const results: TransferResult[] = [];
  const logs = await annex.branch.getMany([...new Set(items.map((i) => locationLogPath(i.key)))]);
  const dropped: TransferItem[] = [];
  // One drop per key: a second file with the same content gets the first one's outcome.
  const seen = new Map<string, Omit<TransferResult, 'item'>>();
  for (const item of items) {
    let outcome: Omit<TransferResult, 'item'> | undefined;
    if (seen.has(item.key)) outcome = seen.get(item.key);
    else {
      const there = opts.from ? await opts.from.checkPresent(item.key) : await annex.objects.has(item.key);
      if (!there) continue;
      try {
        await dropKey(annex, remotes, item, presentIn(logs.get(locationLogPath(item.key)) ?? ''), policy, opts);
        outcome = { ok: true };
      } catch (err) {
        if (!(err instanceof FerryError)) throw err;
        outcome = err instanceof UnsafeDropError ? { ok: false, error: err.message, note: err.note } : { ok: false, error: errorMessage(err) };
      }
      seen.set(item.key, outcome);
    }
    const result: TransferResult = { ...outcome!, item };
    if (result.ok && !opts.from) dropped.push(item);
    results.push(result);
    events.done(result);
  }
  await annex.branch.commit('update');
  await emptyDroppedFiles(annex, dropped);
  return results;
}

async function dropKey(annex: Annex, remotes: readonly Remote[], item: TransferItem, locations: readonly string[],
  policy: DropPolicy, opts: DropOptions): Promise<void> {
  const target = opts.from;
  const targetUuid = target?.uuid ?? annex.uuid;
  if (!opts.force && await policy.required(targetUuid, policyItem(item.key, item.path, locations))) {
    throw new UnsafeDropError(REQUIRED_NOTE);
  }
  if (!opts.force && !contentLocksWork()) {
    throw new FerryError('cannot prove other copies exist without the lock addon', {
      hint: 'build the addon (build-essential, python3, npm rebuild), or drop with --force at your own risk',
    });
  }
  // A special remote cannot lock content (git-annex counts its copies on checkPresent alone); others can.
  const lockable = !target || target.capabilities.contentLocks;
  const targetLock = !lockable ? undefined
    : target ? await target.lockContent(item.key, 'exclusive') : await lockContent(annex.repo.layout, item.key, 'exclusive');
  if (lockable && !targetLock && contentLocksWork()) {
    throw new FerryError(`the content of ${item.key} is locked by another process (a drop or a transfer is using it)`, { hint: 'try again once it has finished' });
  }
  checkpoint('drop-target-locked', item.key); // the race test pauses here: our copy locked, no other yet
  const proof = opts.force ? undefined : await proveCopies(annex, remotes, {
    key: item.key, target: targetUuid, locations, need: await policy.need(item), trust: (u) => policy.trust(u),
  });
  try {
    if (proof && !proof.ok) throw new UnsafeDropError(unsafeNote(proof.verified + proof.trusted, proof.need.numcopies, opts.suggestMove === true));
    checkpoint('drop-locked', item.key);
    if (target) {
      await target.remove(item.key, targetLock);
      await annex.branch.change(new Map([[locationLogPath(item.key), presenceChange(target.uuid, false)]]));
    } else {
      // The log stops claiming the content before the content goes.
      await annex.branch.change(new Map([[locationLogPath(item.key), presenceChange(annex.uuid, false)]]));
      annex.objects.dropObject(item.key);
    }
  } finally {
    proof?.release();
    targetLock?.release(); // idempotent: remove() may have released it already
  }
  if (!target) await removeContentLockFile(annex.repo.layout, item.key);
}

/** git-annex's words for a drop that required content refuses. */
const REQUIRED_NOTE = [
  'That file is required content. It cannot be dropped!', '',
  '(Use --force to override this check, or adjust required content configuration.)',
].join('\n');

/** git-annex's words for a refused drop. */
function unsafeNote(have: number, need: number, suggestMove: boolean): string {
  const lines = ['unsafe', `Could only verify the existence of ${have} out of ${need} necessary ${need === 1 ? 'copy' : 'copies'}`];
  if (suggestMove) lines.push('', 'Rather than dropping this file, try using: ferry move');
  lines.push('', '(Use --force to override this check, or adjust numcopies.)');
  return lines.join('\n');
}
