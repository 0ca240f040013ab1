// cloudgit's face: fetch, list and push one cloud, each under the cloud's lock in this repository, each
// reading the store fresh and saving local state only once the store is in the state it records.
import { StoreNotFoundError } from '../remotes/index.js';
import { checkpoint } from '../util/index.js';
import type { Store } from '../remotes/index.js';
import { CloudIncompleteError } from './errors.js';
import { applyCloud, readCloud, readSmall } from './fetch.js';
import { markerName } from './keys.js';
import { decodeManifest } from './manifest.js';
import { cloudContext } from './context.js';
import type { CloudContext, CloudGitOptions } from './context.js';
import { collectGarbage } from './gc.js';
import type { GcResult } from './gc.js';
import { pushCloud } from './push.js';
import type { PushResult, PushUpdate } from './push.js';
import { listing } from './refs.js';
import type { Listing, PeerRefs } from './refs.js';
import type { CloudState } from './state.js';

/** The uuid a store's cloud belongs to, from its marker; undefined when the store holds no ferry cloud. */
export async function readCloudUuid(store: Store, prefix: string): Promise<string | undefined> {
  try {
    const text = (await readSmall(store, markerName(prefix))).toString('utf8').trim();
    return /^[0-9a-fA-F-]{8,64}$/.test(text) ? text : undefined;
  } catch (err) {
    if (err instanceof StoreNotFoundError) return undefined;
    throw err;
  }
}

function peerRefs(cx: CloudContext, state: CloudState): PeerRefs[] {
  const peers: PeerRefs[] = Object.values(state.peers).map(({ manifest: m }) => ({ peer: m.peer, since: m.since, head: m.head, refs: m.refs }));
  if (state.seq > 0) peers.push({ peer: cx.peer, since: state.since ?? '', head: state.head, refs: state.refs });
  return peers;
}

export interface PeerSeq {
  readonly peer: string;
  readonly seq: number;
}

/** Another peer as its newest manifest applied here describes it. */
export interface PeerProgress extends PeerSeq {
  /** When it wrote that manifest (ISO 8601). */
  readonly time: string;
  /** Its git-annex uuid, when its manifest names it. */
  readonly repo?: string;
}

export class CloudGit {
  readonly #cx: CloudContext;
  /** probe()'s memory: each manifest's etag and what it said, so an unchanged one is not read again. */
  readonly #probed = new Map<string, { etag: string; seq: number; peer: string }>();

  constructor(opts: CloudGitOptions) {
    this.#cx = cloudContext(opts);
  }

  async #locked<T>(what: string, fn: (state: CloudState) => Promise<T>): Promise<T> {
    const lock = await this.#cx.state.lock();
    try {
      const state = await this.#cx.state.load();
      const result = await fn(state);
      await this.#cx.state.save(state);
      checkpoint(`cloudgit-${what}-end`, this.#cx.peer);
      return result;
    } finally {
      lock.release();
    }
  }

  /** Brings every peer's objects here and returns the refs the cloud shows (docs/cloudgit-format.md "Ref mapping"). */
  fetch(): Promise<Listing> {
    return this.#locked('fetch', async (state) => {
      const read = await readCloud(this.#cx, state);
      const behind = await applyCloud(this.#cx, state, read);
      const shown = await listing(this.#cx.git, peerRefs(this.#cx, state));
      if (shown.refs.size === 0 && behind.length > 0) {
        // Nothing to show yet but something is coming: an empty clone would look like an empty cloud.
        throw new CloudIncompleteError(`the cloud is incomplete: ${behind.length} peer(s) wait for bundles the store does not have yet`, { data: { peers: behind } });
      }
      return shown;
    });
  }

  /** This peer's own refs as it last pushed them: what git checks fast-forwards against. */
  listForPush(): Promise<Listing> {
    return this.#locked('list', async (state) => {
      await readCloud(this.#cx, state);
      return { refs: new Map(Object.entries(state.refs)), head: undefined };
    });
  }

  /** Pushes `updates` (one bundle, one manifest); `head` is the branch HEAD names here, recorded for clones. */
  push(updates: readonly PushUpdate[], head?: string): Promise<PushResult[]> {
    return this.#locked('push', async (state) => {
      await this.#cx.beforeWrite?.();
      return pushCloud(this.#cx, state, await readCloud(this.#cx, state), updates, { head });
    });
  }

  /** Runs `fn` under the cloud's lock: no push or fetch of this repository runs meanwhile. */
  hold<T>(fn: () => Promise<T>): Promise<T> {
    return this.#locked('hold', () => fn());
  }

  /**
   * Every other peer's newest manifest seq in the store, for change notices (notify/ poll): one list, then a
   * get of each manifest whose etag changed since the last probe, opened and checked like a fetch's. Takes
   * no lock and writes nothing, so it can run every few seconds beside a sync.
   */
  async probe(): Promise<PeerSeq[]> {
    const { names, store, peer: self, keys, uuid } = this.#cx;
    const own = names.manifest(self);
    const listed = new Set<string>();
    for await (const entry of store.list(names.manifests)) {
      if (entry.name === own) continue;
      listed.add(entry.name);
      if (this.#probed.get(entry.name)?.etag === entry.etag) continue;
      let sealed: Buffer;
      try {
        sealed = await readSmall(store, entry.name);
      } catch (err) {
        if (err instanceof StoreNotFoundError) continue; // replaced between list and get: the next probe sees it
        throw err;
      }
      const m = decodeManifest(sealed, keys, uuid, `manifest ${entry.name.slice(names.manifests.length)}`, (p) => names.manifest(p) === entry.name);
      this.#probed.set(entry.name, { etag: entry.etag, seq: m.seq, peer: m.peer });
    }
    for (const name of this.#probed.keys()) if (!listed.has(name)) this.#probed.delete(name);
    return [...this.#probed.values()].map(({ peer, seq }) => ({ peer, seq }));
  }

  /**
   * This peer's last published seq, each other peer's seq whose bundles are all applied here, and what
   * those peers' manifests say of them (when each published, as which repository).
   */
  async progress(): Promise<{ seq: number; seen: Map<string, number>; peers: PeerProgress[] }> {
    const state = await this.#cx.state.load();
    const records = Object.values(state.peers).map((r) => r.manifest);
    return {
      seq: state.seq,
      seen: new Map(records.map((m) => [m.peer, m.seq])),
      peers: records.map((m) => ({ peer: m.peer, seq: m.seq, time: m.time, ...(m.repo !== undefined ? { repo: m.repo } : {}) })),
    };
  }

  /** This repository's peer id in this cloud. */
  get peer(): string {
    return this.#cx.peer;
  }

  /**
   * Garbage collection (docs/cloudgit-format.md "Consolidation and garbage collection"): puts back own bundles
   * the store lost, merges all own bundles into one with `full`, and deletes bundles no manifest lists once
   * they have been seen unlisted for `graceMs`.
   */
  gc(opts: { full: boolean; graceMs: number }): Promise<GcResult> {
    return this.#locked('gc', async (state) => {
      await this.#cx.beforeWrite?.();
      return collectGarbage(this.#cx, state, opts);
    });
  }
}
