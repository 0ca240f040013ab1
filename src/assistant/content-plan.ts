// Which content moves (ISSUE 15 "syncer", "transient bridge"): the assistant's version of sync --content's
// rules (sync/content.ts), asked per change instead of per tree, and answered by queueing transfers, not by
// moving bytes. For each file it is shown:
//   - not here, wanted here (preferred content; everything when unset), and a remote of the assistant has
//     it: queue a download; no remote has it yet (the uploader is still at it): remember it, and look again
//     after every pull (`recheck`);
//   - here, and a remote lacks it and wants it: queue an upload.
// After a transfer has landed, `settle` drops the content from each remote that no longer wants it, where
// numcopies allows: the cloud as a transient bridge. A cloud in group transfer (`standard`) stops wanting a
// file once every client has it, so the client that completes the set drops the cloud's copy, right after
// its own verified download; dropItems proves the copies it counts (this one's, locked, is verified).
// Drops from this repository are left to `ferry drop`: a client wants everything outside archive/.
import type { Annex, PolicyItem } from '../annex/index.js';
import { Policy, annexedFiles, parseKey, policyItems } from '../annex/index.js';
import type { Remote } from '../remotes/index.js';
import { dropItems, dropPolicy } from '../sync/index.js';
import type { TransferItem } from '../sync/index.js';
import type { EventBus } from './events.js';
import type { TransferRequest } from './queue/index.js';

export interface ContentPlanOptions {
  readonly bus: EventBus;
  /** The remotes content moves with (the clouds, opened by the daemon). */
  readonly remotes: readonly Remote[];
  /** Queues transfers (the TransferQueue's enqueue); resolves with their ids, in order. */
  readonly enqueue: (requests: readonly TransferRequest[]) => Promise<readonly string[]>;
}

export class ContentPlan {
  readonly #annex: Annex;
  readonly #opts: ContentPlanOptions;
  /** Files wanted here whose content no remote has yet, by key. */
  readonly #waiting = new Map<string, Set<string>>();

  constructor(annex: Annex, opts: ContentPlanOptions) {
    this.#annex = annex;
    this.#opts = opts;
  }

  /** Files whose content waits for an upload somewhere else. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /**
   * Queues the transfers the annexed files under `paths` need (`undefined`: the whole tree); resolves with
   * the ids of the uploads among them (a commit's push waits for those).
   */
  async files(paths: readonly string[] | undefined): Promise<string[]> {
    if (paths !== undefined && paths.length === 0) return [];
    const files = await annexedFiles(this.#annex, paths ?? []);
    return this.#plan(files.map((f) => ({ key: f.key, path: f.path })));
  }

  /** Looks again at the files waiting for content, after a pull brought other repositories' location logs. */
  async recheck(): Promise<void> {
    if (this.#waiting.size === 0) return;
    const entries = [...this.#waiting].flatMap(([key, paths]) => [...paths].map((path) => ({ key, path })));
    this.#waiting.clear();
    await this.#plan(entries);
  }

  /**
   * After content landed here or in a remote: drops it from each remote that no longer wants it. The path
   * matters: preferred content such as `standard` asks about the file (include=*), and a key alone matches
   * nothing, which would read as "not wanted".
   */
  async settle(landed: readonly { key: string; path: string }[]): Promise<void> {
    if (landed.length === 0) return;
    const policy = await Policy.load(this.#annex);
    try {
      const items = await policyItems(this.#annex, landed);
      for (const remote of this.#opts.remotes) {
        const drops: TransferItem[] = [];
        for (const item of items) {
          if (!item.locations.has(remote.uuid) || !(await this.#unwanted(policy, remote.uuid, item))) continue;
          drops.push({ key: item.key, size: parseKey(item.key)?.size });
        }
        if (drops.length === 0) continue;
        await dropItems(this.#annex, this.#opts.remotes, drops, dropPolicy(policy), {
          done: (r) => {
            if (r.ok) this.#opts.bus.publish({ type: 'dropped', key: r.item.key, from: remote.name, reason: 'every repository that wants it has it' });
          },
        }, { from: remote });
      }
    } finally {
      policy.close();
    }
  }

  /** Queues what `entries` need; returns the ids of the uploads queued. */
  async #plan(entries: readonly { key: string; path: string }[]): Promise<string[]> {
    if (entries.length === 0) return [];
    const annex = this.#annex;
    const policy = await Policy.load(annex);
    try {
      const items = await policyItems(annex, entries);
      const requests: TransferRequest[] = [];
      const remotes = this.#opts.remotes;
      for (const item of items) {
        const path = item.path!;
        if (await annex.objects.has(item.key)) {
          for (const r of remotes) {
            // Never to a remote that takes nothing: read-only (a retired cloud) or dead.
            if (item.locations.has(r.uuid) || this.#readonly(r) || policy.trust(r.uuid) === 'dead' || !(await wants(policy, r.uuid, item))) continue;
            requests.push({ direction: 'upload', key: item.key, remote: r.name, paths: [path] });
          }
          continue;
        }
        if (!(await wants(policy, annex.uuid, item))) continue;
        const from = remotes.find((r) => item.locations.has(r.uuid));
        if (from !== undefined) requests.push({ direction: 'download', key: item.key, remote: from.name, paths: [path] });
        else {
          const paths = this.#waiting.get(item.key) ?? new Set<string>();
          paths.add(path);
          this.#waiting.set(item.key, paths);
        }
      }
      if (requests.length === 0) return [];
      const ids = await this.#opts.enqueue(requests);
      return ids.filter((_, i) => requests[i]!.direction === 'upload');
    } finally {
      policy.close();
    }
  }

  #readonly(remote: Remote): boolean {
    return this.#annex.repo.config.bool(`remote.${remote.name}.annex-readonly`, false);
  }

  /** A remote whose preferred content is set and would not want the content once it is gone from there. */
  async #unwanted(policy: Policy, uuid: string, item: PolicyItem): Promise<boolean> {
    if (!policy.isDefined(uuid)) return false;
    const copies = [...item.locations].filter((u) => { const t = policy.trust(u); return t !== 'untrusted' && t !== 'dead'; }).length;
    if (copies <= await policy.numcopies(item) || copies <= await policy.mincopies(item)) return false;
    return (await policy.wanted(uuid, item, { assumeAbsent: true })) === false;
  }
}

/** sync --content's "wants": preferred or required content, or everything when neither is set. */
async function wants(policy: Policy, uuid: string, item: PolicyItem): Promise<boolean> {
  return (await policy.wanted(uuid, item)) ?? true;
}
