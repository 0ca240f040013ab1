// copy --to (and the first half of move --to): content from this repository into a remote. The remote
// verifies and places each key durably and logs it in its own log (a git-annex repository does); then this
// repository's location log records the remote's copy, in one commit per batch.
import type { Annex } from '../../annex/index.js';
import { locationLogPath, presenceChange } from '../../annex/index.js';
import type { Remote, StoreItem } from '../../remotes/index.js';
import { FerryError, errorMessage, mapPool } from '../../util/index.js';
import type { TransferItem } from './items.js';
import type { TransferEvents, TransferResult } from './results.js';

// Each batch costs a commit on both sides (five git processes each); 10,000 small files in batches of
// 1,000 spent about a second of CPU on them. Larger batches only delay the log, never the content's safety.
const BATCH = 5000;
/** Keys looked up at once (here, and whether the remote has them). */
const LOOKUPS = 16;

export interface SendOutcome {
  readonly results: TransferResult[];
  /** Keys the remote has now (sent, or found there already). */
  readonly there: Set<string>;
}

/** Sends the items whose content is here and not yet in `remote`; others get no result. */
export async function sendItems(annex: Annex, remote: Remote, items: readonly TransferItem[], events: TransferEvents, opts: { jobs?: number } = {}): Promise<SendOutcome> {
  const results: TransferResult[] = [];
  const there = new Set<string>();
  for (let i = 0; i < items.length; i += BATCH) {
    await sendBatch(annex, remote, items.slice(i, i + BATCH), events, results, there, opts.jobs);
  }
  return { results, there };
}

async function sendBatch(annex: Annex, remote: Remote, items: readonly TransferItem[], events: TransferEvents,
  results: TransferResult[], there: Set<string>, jobs: number | undefined): Promise<void> {
  const toStore = new Map<string, StoreItem>();
  const found: string[] = [];
  // Looked up concurrently: each lookup waits on a stat or a request, and a cloud remote's on the network.
  const keys = [...new Set(items.map((i) => i.key))].filter((k) => !there.has(k));
  const looked = await mapPool(keys, LOOKUPS, async (key) => {
    const src = await annex.objects.find(key);
    // Nothing here to send: git-annex says nothing either.
    return { key, src, present: src !== undefined && await remote.checkPresent(key) };
  });
  for (const { key, src, present } of looked) {
    if (src === undefined) continue;
    if (present) {
      found.push(key); // already there; only our log may need to learn it
      there.add(key);
    } else toStore.set(key, { key, src });
  }
  const errors = new Map<string, { message: string; hint: string | undefined }>();
  const failure = (err: Error) => ({ message: errorMessage(err), hint: err instanceof FerryError ? err.hint : undefined });
  const byKey = new Map<string, TransferItem[]>();
  for (const item of items) {
    if (!toStore.has(item.key)) continue;
    byKey.set(item.key, [...(byKey.get(item.key) ?? []), item]);
  }
  for (const [key] of toStore) for (const item of byKey.get(key) ?? []) events.start?.(item, `to ${remote.name}...`);
  try {
    await remote.storeKeys([...toStore.values()], (key, err) => {
      if (err) errors.set(key, failure(err));
      else there.add(key);
    }, {
      ...(jobs !== undefined ? { jobs } : {}),
      progress: (key, bytes) => { for (const item of byKey.get(key) ?? []) events.progress?.(item, bytes, item.size); },
    });
  } catch (err) {
    if (!(err instanceof FerryError)) throw err;
    for (const key of toStore.keys()) if (!there.has(key)) errors.set(key, failure(err));
  }
  const logged = [...found, ...[...toStore.keys()].filter((k) => there.has(k))];
  await annex.branch.commit('update', new Map(logged.map((k) => [locationLogPath(k), presenceChange(remote.uuid, true)] as const)));
  for (const [key, sent] of byKey) {
    for (const item of sent) {
      const error = errors.get(key);
      results.push({ item, ok: error === undefined, note: `to ${remote.name}...`, error: error?.message, hint: error?.hint });
      events.done(results[results.length - 1]!);
    }
  }
}
