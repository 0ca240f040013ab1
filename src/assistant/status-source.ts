// What `/api/status` shows (status/snapshot.ts), gathered from the daemon's parts: the queue's items with
// the bytes their progress events reported, each notifier's state, the peers with their last published seq
// (from the cloud manifests fetched here) and what they lack, and the old versions' space (set by the
// daemon's housekeeping). The peers' lacks read every file's location log, so they are computed at most
// every LACKS_TTL_MS, not per request. A peer silent longer than the retirement period (`ferry.retireafter`,
// git-annex's duration syntax, default 30d) is marked for the offer `ferry dead`; nothing is dropped for it.
import type { PeerProgress } from '../cloudgit/index.js';
import { runGit } from '../git/index.js';
import { DEFAULT_POLL, pollCost } from '../notify/index.js';
import type { Annex } from '../annex/index.js';
import { BITTORRENT_UUID, Policy, Repositories, WEB_UUID, annexedFiles, parseKey, policyItems } from '../annex/index.js';
import type { EventBus } from './events.js';
import { parseDuration } from './unused.js';
import type { UnusedSummary } from './unused.js';
import type { QueueEntry, TransferQueue } from './queue/index.js';
import type { CloudStatus, NotifierState, NotifierStatus, PeerStatus, StatusSnapshot, TransferState, TransferStatus } from './status/index.js';

const LACKS_TTL_MS = 30_000;

/** One pass over the work tree's files and their location logs. */
interface Scan {
  readonly peers: PeerStatus[];
  /** By special remote uuid: what it holds of the work tree's files. */
  readonly stored: ReadonlyMap<string, { bytes: number; objects: number }>;
}
const DEFAULT_RETIRE_AFTER_S = 30 * 86_400;
const EXAMPLES = 3;

/** The parts a snapshot reads. */
export interface SnapshotParts {
  readonly queue: TransferQueue | undefined;
  readonly clouds: readonly {
    readonly syncer: { readonly remote: string };
    readonly session: { ownSeq(): Promise<number>; peers(): Promise<PeerProgress[]> };
    /** Whether poll is one of its notifiers (its requests are the idle cost). */
    readonly polling: boolean;
  }[];
}

export class SnapshotSource {
  readonly #annex: Annex;
  readonly #startedAt = Date.now();
  readonly #bytes = new Map<string, number>();
  readonly #notifiers = new Map<string, NotifierStatus>();
  #peers: { at: number; peers: Promise<Scan> } | undefined;
  #unused: UnusedSummary | undefined;

  constructor(annex: Annex, bus: EventBus) {
    this.#annex = annex;
    bus.subscribe((e) => {
      if (e.type === 'transfer-progress') this.#bytes.set(e.transfer, e.bytes);
      else if (e.type === 'transfer-done' && e.retryInMs === undefined) this.#bytes.delete(e.transfer);
      else if (e.type === 'pulled' && e.merged) this.#peers = undefined;
    });
  }

  setUnused(summary: UnusedSummary): void {
    this.#unused = summary;
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
    const published = new Map<string, { seq: number; time: number }>();
    for (const cloud of parts.clouds) {
      for (const p of await cloud.session.peers()) {
        const time = Date.parse(p.time);
        if (p.repo !== undefined && (published.get(p.repo)?.time ?? -1) < time) published.set(p.repo, { seq: p.seq, time });
      }
    }
    // Read afresh: the daemon's config was loaded at start, and this is a setting users change while it runs.
    const setting = (await runGit(annex.repo.git, ['config', '--get', 'ferry.retireafter'], { okCodes: [1] })).stdout.toString('utf8').trim();
    const retireAfterMs = 1000 * (parseDuration(setting) ?? DEFAULT_RETIRE_AFTER_S);
    const now = Date.now();
    const scan = await this.#peers.peers;
    const peers = scan.peers.map((p): PeerStatus => {
      const last = published.get(p.uuid);
      return last === undefined ? p : { ...p, seq: last.seq, lastSeen: last.time, ...(now - last.time > retireAfterMs ? { silent: true } : {}) };
    });
    return {
      repository: { path: annex.repo.absPath(''), uuid: annex.uuid, description: repos.get(annex.uuid).description, ...(seq !== undefined ? { seq } : {}) },
      assistant: { pid: process.pid, startedAt: this.#startedAt },
      peers,
      transfers: (parts.queue?.list() ?? []).map((e) => this.#transfer(e)),
      notifiers: [...this.#notifiers.values()],
      cloud: parts.clouds.map((c) => this.#cloud(repos, c.syncer.remote, scan.stored, c.polling)),
      ...(this.#unused !== undefined ? { unused: this.#unused } : {}),
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

  /**
   * The cloud of git remote `gitRemote`: its special remote (`ferry::NAME`), what of the work tree's files it
   * holds by the location logs (old versions are not counted), and what polling it costs, at S3 prices.
   */
  #cloud(repos: Repositories, gitRemote: string, stored: ReadonlyMap<string, { bytes: number; objects: number }>, polling: boolean): CloudStatus {
    const name = (this.#annex.repo.config.get(`remote.${gitRemote}.url`) ?? '').replace(/^ferry::/, '').replace(/\?.*$/, '');
    const special = repos.all().find((r) => repos.remoteConfig(r.uuid)?.get('name') === name);
    const usage = special === undefined ? undefined : stored.get(special.uuid) ?? { bytes: 0, objects: 0 };
    const cost = polling ? pollCost(DEFAULT_POLL) : undefined;
    return {
      remote: special === undefined ? gitRemote : name,
      type: special === undefined ? 'ferry' : repos.remoteConfig(special.uuid)?.get('type') ?? 'unknown',
      ...(usage !== undefined ? { storedBytes: usage.bytes, objects: usage.objects } : {}),
      ...(cost !== undefined ? {
        requestsPerMonth: cost.requestsPerMonth,
        estimatedCostPerMonth: { amount: cost.usdPerMonth, currency: 'USD', basis: `polling: ${cost.assumption}` },
      } : {}),
    };
  }

  /**
   * Every other repository that holds content (not special remotes, not dead), with what it wants and lacks;
   * and what each special remote holds of the work tree's files.
   */
  async #computePeers(repos: Repositories): Promise<Scan> {
    const annex = this.#annex;
    const peers = repos.all().filter((r) => !r.here && r.trust !== 'dead' && repos.remoteConfig(r.uuid) === undefined
      && r.uuid !== WEB_UUID && r.uuid !== BITTORRENT_UUID);
    const files = await annexedFiles(annex, []);
    const items = await policyItems(annex, files.map((f) => ({ key: f.key, path: f.path })));
    const stored = new Map<string, { bytes: number; objects: number }>();
    const counted = new Set<string>();
    for (const item of items) {
      if (counted.has(item.key)) continue;
      counted.add(item.key);
      for (const uuid of item.locations) {
        if (repos.remoteConfig(uuid) === undefined) continue;
        const u = stored.get(uuid) ?? { bytes: 0, objects: 0 };
        stored.set(uuid, { bytes: u.bytes + (item.size ?? 0), objects: u.objects + 1 });
      }
    }
    if (peers.length === 0) return { peers: [], stored };
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
      return { peers: out, stored };
    } finally {
      policy.close();
    }
  }
}
