// get (and copy/move --from): content from other repositories into this one. Each key comes from the
// cheapest remote the location log says has it (or the one named), into the resumable partial file,
// verified against its key as it arrives; then per batch, as for add (docs/NOTES.md "Durability order"):
// all received files durable, moved under their keys, durable again, and only then logged as present.
// Finally unlocked files get their content in the work tree.
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Annex } from '../../annex/index.js';
import { VerificationError, locationLogPath, presenceChange, presentIn, receiveToTmp } from '../../annex/index.js';
import type { Remote } from '../../remotes/index.js';
import { RemoteReadError, transferLock, worthRetrying } from '../../remotes/index.js';
import { DurableBatch, FerryError, checkpoint, errorMessage, mapPool } from '../../util/index.js';
import { checkDiskReserve, diskReserve } from './disk-reserve.js';
import type { TransferItem } from './items.js';
import type { TransferEvents, TransferResult } from './results.js';
import { fillUnlockedFiles } from './worktree.js';

export interface GetOptions {
  /** Only from this remote (copy/move --from); otherwise any remote the location log names. */
  readonly from?: Remote;
  readonly jobs?: number;
}

const BATCH = 1000;
/** Tries per remote of a key whose bytes failed verification (a chunked key of a flaky store: any chunk can be the bad one). */
const ATTEMPTS = 8;

export class NoCopyAvailableError extends FerryError {
  constructor(key: string, elsewhere: readonly string[]) {
    super(elsewhere.length > 0
      ? `not available; the content is in ${elsewhere.join(', ')}, which cannot be reached from here`
      : 'not available; no other repository is known to have the content', { data: { key, elsewhere } });
  }
}

/** Fetches the content of the items not here yet; items already here get no result (only their log and unlocked files are settled). */
export async function getItems(annex: Annex, remotes: readonly Remote[], items: readonly TransferItem[], events: TransferEvents, opts: GetOptions = {}): Promise<TransferResult[]> {
  const results: TransferResult[] = [];
  const report = (r: TransferResult) => {
    results.push(r);
    events.done(r);
  };
  const missing: TransferItem[] = [];
  const here: TransferItem[] = [];
  for (const item of items) (await annex.objects.has(item.key) ? here : missing).push(item);
  // What a get killed after placing content left undone: the log and the unlocked files.
  await logUnlogged(annex, here);
  await fillUnlockedFiles(annex, here);
  for (let i = 0; i < missing.length; i += BATCH) {
    await getBatch(annex, remotes, missing.slice(i, i + BATCH), events, report, opts);
  }
  return results;
}

/** Logs as present the content here that the location log does not say is here, once it is durable. */
async function logUnlogged(annex: Annex, items: readonly TransferItem[]): Promise<void> {
  if (items.length === 0) return;
  const logs = await annex.branch.getMany([...new Set(items.map((i) => locationLogPath(i.key)))]);
  const durable = new DurableBatch();
  const unlogged = new Set<string>();
  for (const { key } of items) {
    if (unlogged.has(key) || presentIn(logs.get(locationLogPath(key)) ?? '').includes(annex.uuid)) continue;
    const object = await annex.objects.find(key);
    if (!object) continue;
    durable.addFile(object);
    durable.addDir(dirname(object));
    unlogged.add(key);
  }
  if (unlogged.size === 0) return;
  await durable.flush(annex.repo.layout.objectsDir);
  await annex.branch.commit('update', new Map([...unlogged].map((k) => [locationLogPath(k), presenceChange(annex.uuid, true)] as const)));
}

async function getBatch(annex: Annex, remotes: readonly Remote[], items: readonly TransferItem[], events: TransferEvents,
  report: (r: TransferResult) => void, opts: GetOptions): Promise<void> {
  const logs = await annex.branch.getMany([...new Set(items.map((i) => locationLogPath(i.key)))]);
  const reserve = diskReserve(annex);
  const received = new Map<string, { tmp: string; note: string }>();
  const inFlight = new Map<string, Promise<{ tmp: string; note: string }>>();
  const durable = new DurableBatch();
  const outcomes = await mapPool(items, opts.jobs ?? 4, async (item): Promise<{ item: TransferItem; note?: string; error?: string; hint?: string }> => {
    try {
      // Two files with the same content share one transfer.
      let pending = inFlight.get(item.key);
      if (!pending) {
        pending = fetchKey(annex, remotes, item, presentIn(logs.get(locationLogPath(item.key)) ?? ''), events, reserve, opts.from);
        inFlight.set(item.key, pending);
      }
      const got = await pending;
      received.set(item.key, got);
      durable.addFile(got.tmp);
      return { item, note: got.note };
    } catch (err) {
      if (!(err instanceof FerryError)) throw err;
      return { item, error: errorMessage(err), hint: err.hint };
    }
  });
  // Durable in the temp area, then under their keys, then logged (a log never claims what a crash could lose).
  await durable.flush(annex.repo.layout.tmpDir);
  const placed = new Set<string>();
  for (const [key, { tmp }] of received) {
    await annex.objects.renameIn(key, tmp, durable, { tmpDurable: true });
    placed.add(key);
  }
  await durable.flush(annex.repo.layout.objectsDir);
  await annex.branch.commit('update', new Map([...placed].map((k) => [locationLogPath(k), presenceChange(annex.uuid, true)] as const)));
  checkpoint('get-logged', String(placed.size));
  await fillUnlockedFiles(annex, outcomes.filter((o) => o.error === undefined).map((o) => o.item));
  for (const o of outcomes) report({ item: o.item, ok: o.error === undefined, note: o.note, error: o.error, hint: o.hint });
}

/** Receives one key into its partial file from the first remote that can give it. */
async function fetchKey(annex: Annex, remotes: readonly Remote[], item: TransferItem, locations: readonly string[],
  events: TransferEvents, reserve: number, only: Remote | undefined): Promise<{ tmp: string; note: string }> {
  const candidates = only ? [only] : remotes.filter((r) => locations.includes(r.uuid));
  if (candidates.length === 0) {
    throw new NoCopyAvailableError(item.key, locations.filter((u) => u !== annex.uuid));
  }
  let lastError: unknown;
  for (const remote of candidates) {
    const note = `from ${remote.name}...`;
    events.start?.(item, note);
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        await checkDiskReserve(annex, item.size, reserve);
        const lock = await transferLock(annex.repo.layout, 'download', remote.uuid, item.key);
        try {
          const tmp = await receiveToTmp(annex.repo.layout, item.key, remote.name, (sink) => remote.retrieve(item.key, sink),
            (bytes) => events.progress?.(item, bytes, item.size));
          checkpoint('received', item.key);
          return { tmp, note };
        } finally {
          lock?.release();
        }
      } catch (err) {
        if (!(err instanceof FerryError)) throw err;
        lastError = err;
        // Bytes that failed verification were discarded, and a transient failure outlived the store's own
        // retries: the next attempt may get a good copy. Anything else will not change by asking again.
        // Content that failed verification is tried once more from a local repository (the partial file it
        // resumed may have been the damaged part; a damaged source fails again and is reported), and up to
        // ATTEMPTS times from a remote whose reads can differ (a damaged read over the network).
        if (!worthRetrying(err) || (err instanceof VerificationError && !remote.capabilities.transientReads && attempt >= 2)) break;
        // Damaged bytes may be in the partial file already: start this key again rather than resume after them.
        if (err instanceof RemoteReadError && err.damaged) await rm(annex.repo.layout.tmpObjectPath(item.key), { force: true });
      }
    }
  }
  throw lastError instanceof Error ? lastError : new NoCopyAvailableError(item.key, []);
}
