// `ferry cloud gc` (docs/cloudgit-format.md "Consolidation and garbage collection"). A bundle is deleted only
// when no manifest lists it and this repository has seen it unlisted for the whole grace period: manifests
// list every bundle they build on, so another peer's consolidation can never strand one, and a bundle whose
// push is still under way (uploaded, manifest not yet written) is younger than the grace period.
import { StoreNotFoundError } from '../remotes/index.js';
import type { CloudContext } from './context.js';
import { readCloud } from './fetch.js';
import { pushCloud } from './push.js';
import type { CloudState } from './state.js';

export interface GcResult {
  /** Own bundles the store had lost, uploaded again. */
  readonly restored: number;
  /** Own bundles before and after (a full gc merges them into one). */
  readonly ownBefore: number;
  readonly ownAfter: number;
  readonly deleted: number;
  /** Unlisted bundles kept until their grace period is over. */
  readonly waiting: number;
}

export async function collectGarbage(cx: CloudContext, state: CloudState, opts: { full: boolean; graceMs: number }): Promise<GcResult> {
  const read = await readCloud(cx, state);
  const ownBefore = state.bundles.length;
  let restored = 0;
  for (const b of state.bundles) if (!(await cx.store.stat(cx.names.bundle(b.id)))) restored++;
  if (state.seq > 0 && (opts.full || restored > 0)) await pushCloud(cx, state, read, [], { full: opts.full, repair: restored > 0 });

  const listed = new Set(state.bundles.map((b) => b.id));
  for (const { manifest } of read.current.values()) for (const b of manifest.bundles) listed.add(b.id);
  const now = Date.now();
  let deleted = 0;
  let waiting = 0;
  const seen: Record<string, string> = {};
  for await (const entry of cx.store.list(cx.names.bundles)) {
    const id = entry.name.slice(cx.names.bundles.length);
    if (listed.has(id)) continue;
    const since = state.unlistedSince[id] ?? new Date(now).toISOString();
    if (now - Date.parse(since) >= opts.graceMs) {
      try {
        await cx.store.delete(entry.name);
      } catch (err) {
        if (!(err instanceof StoreNotFoundError)) throw err;
      }
      deleted++;
    } else {
      seen[id] = since;
      waiting++;
    }
  }
  state.unlistedSince = seen;
  return { restored, ownBefore, ownAfter: state.bundles.length, deleted, waiting };
}
