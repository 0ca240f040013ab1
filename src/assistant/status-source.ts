// What `/api/status` shows (status/snapshot.ts), gathered from the daemon's parts: the queue's items with
// the bytes their progress events reported, each notifier's state, and the peers with what they lack. The
// peers' lacks read every file's location log, so they are computed at most every LACKS_TTL_MS, not per
// request.
import type { Annex } from '../annex/index.js';
import { BITTORRENT_UUID, Policy, Repositories, WEB_UUID, annexedFiles, parseKey, policyItems } from '../annex/index.js';
import type { EventBus } from './events.js';
import type { QueueEntry, TransferQueue } from './queue/index.js';
import type { NotifierState, NotifierStatus, PeerStatus, StatusSnapshot, TransferState, TransferStatus } from './status/index.js';

const LACKS_TTL_MS = 30_000;
const EXAMPLES = 3;

/** The parts a snapshot reads. */
export interface SnapshotParts {
  readonly queue: TransferQueue | undefined;
  readonly clouds: readonly { readonly syncer: { readonly remote: string }; readonly session: { ownSeq(): Promise<number> } }[];
}

export class SnapshotSource {
  readonly #annex: Annex;
  readonly #startedAt = Date.now();
  readonly #bytes = new Map<string, number>();
  readonly #notifiers = new Map<string, NotifierStatus>();
  #peers: { at: number; peers: Promise<PeerStatus[]> } | undefined;

  constructor(annex: Annex, bus: EventBus) {
    this.#annex = annex;
    bus.subscribe((e) => {
      if (e.type === 'transfer-progress') this.#bytes.set(e.transfer, e.bytes);
      else if (e.type === 'transfer-done' && e.retryInMs === undefined) this.#bytes.delete(e.transfer);
      else if (e.type === 'pulled' && e.merged) this.#peers = undefined;
    });
  }

  notifierState(remote: string, notifier: string, state: NotifierState, detail?: string): void {
    this.#notifiers.set(`${remote}\0${notifier}`, { remote, notifier, state, since: Date.now(), ...(detail !== undefined ? { detail } : {}) });
  }

  async snapshot(parts: SnapshotParts): Promise<StatusSnapshot> {
    const annex = this.#annex;
    const repos = await Repositories.load(annex);
    const seq = parts.clouds[0] === undefined ? undefined : await parts.clouds[0].session.ownSeq();
    if (this.#peers === undefined || Date.now() - this.#peers.at > LACKS_TTL_MS) {
      this.#peers = { at: Date.now(), peers: this.#computePeers(repos) };
    }
    return {
      repository: { path: annex.repo.absPath(''), uuid: annex.uuid, description: repos.get(annex.uuid).description, ...(seq !== undefined ? { seq } : {}) },
      assistant: { pid: process.pid, startedAt: this.#startedAt },
      peers: await this.#peers.peers,
      transfers: (parts.queue?.list() ?? []).map((e) => this.#transfer(e)),
      notifiers: [...this.#notifiers.values()],
      cloud: parts.clouds.map((c) => ({ remote: c.syncer.remote, type: 'ferry' })),
    };
  }

  #transfer(e: QueueEntry): TransferStatus {
    const state: TransferState = e.state === 'running' ? 'active' : e.state === 'retry-wait' ? 'retrying' : 'queued';
    const size = parseKey(e.key)?.size;
    return {
      transfer: e.id, direction: e.direction, key: e.key, remote: e.remote, state, bytes: this.#bytes.get(e.id) ?? 0, attempt: e.failures + (state === 'active' ? 1 : 0),
      ...(e.paths[0] !== undefined ? { path: e.paths[0] } : {}),
      ...(size !== undefined ? { size } : {}),
      ...(e.lastError !== undefined ? { error: e.lastError } : {}),
      ...(e.retryAt !== undefined ? { retryAt: e.retryAt } : {}),
    };
  }

  /** Every other repository that holds content (not special remotes, not dead), with what it wants and lacks. */
  async #computePeers(repos: Repositories): Promise<PeerStatus[]> {
    const annex = this.#annex;
    const peers = repos.all().filter((r) => !r.here && r.trust !== 'dead' && repos.remoteConfig(r.uuid) === undefined
      && r.uuid !== WEB_UUID && r.uuid !== BITTORRENT_UUID);
    if (peers.length === 0) return [];
    const files = await annexedFiles(annex, []);
    const items = await policyItems(annex, files.map((f) => ({ key: f.key, path: f.path })));
    const policy = await Policy.load(annex, {}, repos);
    try {
      const out: PeerStatus[] = [];
      for (const peer of peers) {
        const lacks = { files: 0, bytes: 0, examples: [] as string[] };
        for (const item of items) {
          if (item.locations.has(peer.uuid) || ((await policy.wanted(peer.uuid, item)) ?? true) === false) continue;
          lacks.files++;
          lacks.bytes += item.size ?? 0;
          if (lacks.examples.length < EXAMPLES && item.path !== undefined) lacks.examples.push(item.path);
        }
        out.push({ uuid: peer.uuid, description: peer.description, ...(peer.remote !== undefined ? { remote: peer.remote } : {}), lacks });
      }
      return out;
    } finally {
      policy.close();
    }
  }
}
