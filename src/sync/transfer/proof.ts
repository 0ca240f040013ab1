// The proof a drop needs (docs/NOTES.md "Drop safety"): enough other copies of the content, counted the way
// git-annex counts them. A trusted repository's copy counts on the location log's word; any other copy
// counts only when it is verified now: the repository is reachable, its copy's content lock (KEY.lck) can
// be taken shared, and the content is there. Those shared locks are held until the drop is done, so no other
// process (ferry or git-annex) can drop the copies this drop relies on meanwhile: it would need them
// exclusively. numcopies counts trusted and verified copies; mincopies counts verified ones only.
import type { Annex, TrustLevel } from '../../annex/index.js';
import { lockContent } from '../../annex/index.js';
import type { Remote } from '../../remotes/index.js';
import type { Lock } from '../../util/index.js';

/** A content lock held on a counted copy, or nothing held for a special remote's copy. */
type Held = Pick<Lock, 'release'>;

export interface ProofNeed {
  readonly numcopies: number;
  readonly mincopies: number;
}

export interface Proof {
  readonly ok: boolean;
  readonly verified: number;
  readonly trusted: number;
  readonly need: ProofNeed;
  /** Shared content locks on the copies counted; release() once the drop is done. */
  release(): void;
}

export interface ProofInput {
  readonly key: string;
  /** The repository whose copy is being dropped (never counted). */
  readonly target: string;
  /** Repositories the location log says have the content. */
  readonly locations: readonly string[];
  readonly need: ProofNeed;
  readonly trust: (uuid: string) => TrustLevel;
}

/** Counts and locks copies until the need is met (or every candidate has been tried). */
export async function proveCopies(annex: Annex, remotes: readonly Remote[], input: ProofInput): Promise<Proof> {
  const locks: Held[] = [];
  let verified = 0;
  let trusted = 0;
  const { numcopies, mincopies } = input.need;
  const enough = () => verified + trusted >= numcopies && verified >= mincopies;
  const candidates = input.locations
    .filter((u) => u !== input.target && input.trust(u) !== 'dead' && input.trust(u) !== 'untrusted')
    // This repository first (cheapest to verify), then remotes by cost, then the unreachable.
    .sort((a, b) => rank(a) - rank(b));
  function rank(uuid: string): number {
    if (uuid === annex.uuid) return -1;
    const i = remotes.findIndex((r) => r.uuid === uuid);
    return i < 0 ? remotes.length : i;
  }
  for (const uuid of candidates) {
    if (enough()) break;
    const lock = await lockCopy(annex, remotes, uuid, input.key);
    if (lock) {
      locks.push(lock);
      verified++;
    } else if (input.trust(uuid) === 'trusted' && verified + trusted < numcopies) {
      trusted++;
    }
  }
  return {
    ok: enough(),
    verified,
    trusted,
    need: input.need,
    release: () => { for (const l of locks.splice(0)) l.release(); },
  };
}

/** A shared lock on `uuid`'s copy of `key` when it can be taken and the content is there; else undefined. */
async function lockCopy(annex: Annex, remotes: readonly Remote[], uuid: string, key: string): Promise<Held | undefined> {
  if (uuid === annex.uuid) {
    const lock = await lockContent(annex.repo.layout, key, 'shared');
    if (lock && await annex.objects.has(key)) return lock;
    lock?.release();
    return undefined;
  }
  const remote = remotes.find((r) => r.uuid === uuid);
  if (!remote) return undefined;
  // A special remote's copy counts when checkPresent finds it now, with nothing held (as git-annex counts it).
  if (!remote.capabilities.contentLocks) return await remote.checkPresent(key) ? { release() { /* nothing held */ } } : undefined;
  const lock = await remote.lockContent(key, 'shared');
  if (lock && await remote.checkPresent(key)) return lock;
  lock?.release();
  return undefined;
}
