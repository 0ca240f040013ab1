// The assistant's composition root (ARCHITECTURE "Assistant"; STYLE 11): one daemon per repository, built
// from its parts and wired here only. The watcher, the notifiers (through the NoticeHub), the transfer queue
// and timers ask the Worker for work; the Worker runs commits, pulls, pushes and drops one at a time. What
// happens is published on the EventBus, which the status server serves.
//
//   change in the work tree → commit → queue uploads → push (after the uploads, or 1 s) → announce
//   notice or poll hit → pull (fetch, merge) → queue downloads → … → drop what the cloud no longer wants → push
import { Annex, AnnexRepo } from '../annex/index.js';
import { runGit } from '../git/index.js';
import { NoticeHub } from '../notify/index.js';
import type { ChangeNotice, Notifier } from '../notify/index.js';
import { openRemotes } from '../remotes/index.js';
import type { OpenedRemotes } from '../remotes/index.js';
import { cloudGitRemotes, isRetiredRemote, openNotify } from '../sync/index.js';
import type { NotifySession } from '../sync/index.js';
import { FerryError, errorMessage } from '../util/index.js';
import { Committer } from './committer.js';
import { ContentPlan } from './content-plan.js';
import { EventBus } from './events.js';
import { takePidLock } from './pid-lock.js';
import { TransferQueue } from './queue/index.js';
import type { QueuedTransfer } from './queue/index.js';
import { SelfWrites } from './self-writes.js';
import { StatusServer, statusFilePath } from './status/index.js';
import { SnapshotSource } from './status-source.js';
import { Syncer } from './syncer.js';
import { expireUnused } from './unused.js';
import { Watcher } from './watcher/index.js';
import type { ChangeBatch } from './watcher/index.js';
import { Worker } from './worker.js';

export interface AssistantOptions {
  /** A directory in the repository's work tree. */
  readonly cwd: string;
  /** Transfers at once (default 2). */
  readonly concurrency?: number;
  /** How long a push waits for the uploads of the commit it carries (default 1 s): one round trip, not two. */
  readonly uploadWaitMs?: number;
}

/** A running assistant. */
export interface Assistant {
  readonly bus: EventBus;
  readonly status: StatusServer;
  /** Resolves once stop() has finished. */
  readonly stopped: Promise<void>;
  stop(reason: string): Promise<void>;
}

const PUSH_RETRY_MS = [2000, 5000, 15_000, 60_000, 300_000];
/** How often old versions are summed up and expired (annex.expireunused), and how long after a merge. */
const HOUSEKEEPING_MS = 5 * 60_000;
const AFTER_MERGE_MS = 30_000;
const NOTIFIER_RETRY_MS = [30_000, 60_000, 120_000, 300_000];
const REFRESH_AFTER_MS = 1500;
/** How long a stopping assistant waits for its last push. */
const FINAL_PUSH_MS = 10_000;

export async function startAssistant(opts: AssistantOptions): Promise<Assistant> {
  const repo = await AnnexRepo.open(opts.cwd);
  const uuid = repo.requireInitialised();
  if (repo.bare) throw new FerryError('the assistant needs a work tree; this is a bare repository');
  const release = await takePidLock(repo.gitDir);
  const annex = new Annex(repo, uuid);
  const parts = new Parts(annex, opts);
  try {
    await parts.start();
  } catch (err) {
    await parts.stop(`could not start: ${errorMessage(err)}`).catch(() => undefined);
    await release();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    stopping ??= parts.stop(reason).finally(() => release());
    return stopping;
  };
  let markStopped!: () => void;
  const stopped = new Promise<void>((resolve) => { markStopped = resolve; });
  return {
    bus: parts.bus,
    status: parts.status!,
    stopped,
    stop: (reason) => stop(reason).finally(markStopped),
  };
}

/** One cloud the assistant syncs with: its git remote, the syncer and the notifiers. */
interface Cloud {
  /** The ferry:: git remote. */
  readonly name: string;
  readonly syncer: Syncer;
  /** The session of the configured notifiers (its seq and peers are the cloud's). */
  readonly session: NotifySession;
  /** Its notifiers that are running, in one hub per start (see #listen). */
  readonly hubs: NoticeHub[];
  /** Each peer's seq fetched here, refreshed after every pull (the hub asks synchronously). */
  seen: Map<string, number>;
  readonly polling: boolean;
}

class Parts {
  readonly bus = new EventBus();
  readonly selfWrites = new SelfWrites();
  readonly worker: Worker;
  readonly committer: Committer;
  readonly source: SnapshotSource;
  status: StatusServer | undefined;
  watcher: Watcher | undefined;
  queue: TransferQueue | undefined;
  plan: ContentPlan | undefined;
  remotes: OpenedRemotes | undefined;
  clouds: Cloud[] = [];
  readonly #batches: ChangeBatch[] = [];
  /** Content that landed, by key, with a file that holds it, for the next settle job. */
  readonly #settled = new Map<string, string>();
  readonly #waiters = new Map<string, () => void>();
  #pushFailures = 0;
  #pushTimer: NodeJS.Timeout | undefined;
  #housekeepingTimer: NodeJS.Timeout | undefined;
  #housekeepingSoon: NodeJS.Timeout | undefined;
  #refreshTimer: NodeJS.Timeout | undefined;
  /** Notifiers started again after failing (#listen), and the timers that will. */
  readonly #sessions: NotifySession[] = [];
  readonly #retries = new Set<NodeJS.Timeout>();
  #stopped = false;

  constructor(readonly annex: Annex, readonly opts: AssistantOptions) {
    // Location logs of adds and transfers stay in the journal until the next push commits them all in one
    // go (git-annex's annex.alwayscommit=false): four git processes fewer on the path of every change.
    annex.branch.deferCommits = true;
    this.worker = new Worker((job, message) => this.bus.publish({ type: 'error', part: job, message }));
    this.committer = new Committer(annex, { bus: this.bus, selfWrites: this.selfWrites, requeue: (paths) => this.watcher?.requeue(paths) });
    this.source = new SnapshotSource(annex, this.bus);
  }

  async start(): Promise<void> {
    const { annex, bus } = this;
    this.status = await StatusServer.start({ bus, snapshot: () => this.source.snapshot(this), statusFile: statusFilePath(annex.repo.gitDir) });
    bus.publish({ type: 'started', pid: process.pid, repository: annex.repo.absPath('') });
    await annex.branch.update();
    this.remotes = await openRemotes(annex);
    const remotes = this.remotes.remotes.filter((r) => !annex.repo.config.bool(`remote.${r.name}.annex-ignore`, false)
      && annex.repo.config.bool(`remote.${r.name}.annex-sync`, true));
    for (const s of this.remotes.skipped) {
      if (!annex.repo.config.bool(`remote.${s.name}.annex-ignore`, false)) bus.publish({ type: 'error', part: 'remotes', message: `${s.name}: ${s.reason}` });
    }
    this.queue = await TransferQueue.open({
      annex, bus, remotes, selfWrites: this.selfWrites,
      ...(this.opts.concurrency !== undefined ? { concurrency: this.opts.concurrency } : {}),
      onSettled: (item, ok) => this.#transferSettled(item, ok),
    });
    this.plan = new ContentPlan(annex, { bus, remotes, enqueue: (r) => this.queue!.enqueue(r) });
    this.queue.start();
    await this.#openClouds();
    this.watcher = new Watcher({ root: annex.repo.absPath(''), git: annex.repo.git, bus, selfWrites: this.selfWrites, onBatch: (b) => this.#changes(b) });
    await this.watcher.start();
    // What happened while nobody watched: pull, then look at every file once (later only at changes).
    void this.#pull().then(() => this.worker.request('plan', () => this.plan!.files(undefined))).then(() => this.#requestPush())
      .then(() => this.#housekeeping()).catch(() => undefined);
    this.#housekeepingTimer = setInterval(() => void this.#housekeeping(), HOUSEKEEPING_MS);
  }

  async stop(reason: string): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.bus.publish({ type: 'stopping', reason });
    clearTimeout(this.#pushTimer);
    clearInterval(this.#housekeepingTimer);
    clearTimeout(this.#housekeepingSoon);
    clearTimeout(this.#refreshTimer);
    await this.watcher?.close();
    for (const timer of this.#retries) clearTimeout(timer);
    await this.queue?.close();
    // One last push, so that what landed just now (an upload's location log, a commit whose push was still
    // waiting) reaches the others before this machine goes quiet; bounded, the cloud may be out of reach.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#queuePush(true), new Promise<void>((resolve) => { timer = setTimeout(resolve, FINAL_PUSH_MS); })]);
    clearTimeout(timer);
    clearTimeout(this.#pushTimer);
    await Promise.allSettled(this.clouds.flatMap((c) => c.hubs.map((h) => h.close())));
    await this.worker.close();
    await Promise.allSettled([...this.clouds.map((c) => c.session.close()), ...this.#sessions.map((s) => s.close())]);
    this.remotes?.close();
    await this.status?.close();
    this.annex.close();
  }

  async #openClouds(): Promise<void> {
    const { annex, bus } = this;
    for (const name of cloudGitRemotes(annex).keys()) {
      if (isRetiredRemote(annex.repo, name)) continue; // replaced by a rotation: never pushed to again
      const session = await openNotify(annex, { remote: name });
      const cloud: Cloud = {
        name,
        session,
        hubs: [],
        polling: session.notifiers.some((n) => n.spec.transport === 'poll'),
        seen: await session.seen(),
        syncer: new Syncer(annex, { bus, remote: name, announce: async (remote, published) => {
          const notice: ChangeNotice = { peer: published.peer, seq: published.seq, time: Date.now() };
          bus.publish({ type: 'pushed', remote, seq: published.seq });
          await Promise.all(cloud.hubs.map((h) => h.announce(notice)));
        } }),
      };
      this.clouds.push(cloud);
      await this.#listen(cloud, session, 0);
    }
  }

  /**
   * Starts `session`'s notifiers in a hub of their own. Those that cannot connect now (a laptop whose network
   * is not up yet at login) are tried again, in a new session, after 30 s, 1, 2 and 5 minutes, then every 5
   * minutes; polling carries every change meanwhile.
   */
  async #listen(cloud: Cloud, session: NotifySession, attempt: number): Promise<void> {
    const { bus } = this;
    const { name } = cloud;
    const hub = new NoticeHub(session.notifiers.map((n) => n.notifier), {
      self: session.peer,
      seen: (peer) => cloud.seen.get(peer) ?? 0,
      fetch: () => this.#pull(),
      events: {
        notice: (n, via) => bus.publish({ type: 'notice', remote: name, peer: n.peer, seq: n.seq, via }),
        failed: (n, err, final) => { if (final) bus.publish({ type: 'error', part: 'notify', message: `${name}: ${errorMessage(err)}` }); },
        notifierConnection: (n, up) => {
          this.source.notifierState(name, n.description, up ? 'connected' : 'reconnecting');
          bus.publish({ type: 'notifier', remote: name, notifier: n.description, state: up ? 'connected' : 'reconnecting' });
        },
      },
    });
    let failed: { notifier: Notifier; err: unknown }[];
    try {
      failed = await hub.start();
      cloud.hubs.push(hub);
    } catch (err) {
      failed = session.notifiers.map(({ notifier }) => ({ notifier, err }));
    }
    for (const { notifier } of session.notifiers) {
      const error = failed.find((f) => f.notifier === notifier)?.err;
      const state = error !== undefined ? 'failed' : notifier.capabilities.prompt ? 'connected' : 'polling';
      const detail = error !== undefined ? `${errorMessage(error)}; trying again` : undefined;
      this.source.notifierState(name, notifier.description, state, detail);
      bus.publish({ type: 'notifier', remote: name, notifier: notifier.description, state, ...(detail !== undefined ? { detail } : {}) });
    }
    if (session !== cloud.session && failed.length === session.notifiers.length) await session.close();
    if (failed.length === 0 || this.#stopped) return;
    const via = session.notifiers.filter((n) => failed.some((f) => f.notifier === n.notifier)).map((n) => n.spec.text);
    const timer = setTimeout(() => {
      this.#retries.delete(timer);
      void openNotify(this.annex, { remote: name, via }).then(async (again) => {
        if (this.#stopped) return again.close();
        this.#sessions.push(again);
        await this.#listen(cloud, again, attempt + 1);
      }).catch((err: unknown) => bus.publish({ type: 'error', part: 'notify', message: `${name}: ${errorMessage(err)}` }));
    }, NOTIFIER_RETRY_MS[Math.min(attempt, NOTIFIER_RETRY_MS.length - 1)]);
    this.#retries.add(timer);
  }

  /** The watcher's batches wait for the worker's next commit job. */
  #changes(batch: ChangeBatch): void {
    this.#batches.push(batch);
    void this.worker.request('commit', () => this.#commit(), true).catch(() => undefined);
  }

  /** Commits what the watcher saw; queues the uploads; pushes once they are done or uploadWaitMs passed. */
  async #commit(): Promise<void> {
    const batches = this.#batches.splice(0);
    if (batches.length === 0) return;
    const merged: ChangeBatch = batches.some((b) => b.rescan)
      ? { paths: [], rescan: true, scan: true }
      : { paths: [...new Set(batches.flatMap((b) => b.paths))], rescan: false, scan: batches.some((b) => b.scan) };
    let outcome;
    try {
      outcome = await this.committer.commit(merged);
    } catch (err) {
      // A locked index (the user's own git command) or a failed add: look again in a moment.
      this.#batches.unshift(merged);
      setTimeout(() => { if (!this.#stopped) void this.worker.request('commit', () => this.#commit()).catch(() => undefined); }, 1000);
      throw err;
    }
    if (outcome.commit === undefined) return;
    const queued = await this.plan!.files(outcome.added);
    void this.#afterUploads(queued).then(() => this.#requestPush(true)).then(() => this.#refreshIndexSoon());
  }

  #afterUploads(ids: readonly string[]): Promise<void> {
    const pending = ids.filter((id) => this.queue!.list().some((e) => e.id === id));
    if (pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      let left = pending.length;
      const timer = setTimeout(resolve, this.opts.uploadWaitMs ?? 1000);
      for (const id of pending) {
        this.#waiters.set(id, () => {
          if (--left === 0) {
            clearTimeout(timer);
            resolve();
          }
        });
      }
    });
  }

  #transferSettled(item: QueuedTransfer, ok: boolean): void {
    this.#waiters.get(item.id)?.();
    this.#waiters.delete(item.id);
    const path = item.paths[0];
    if (!ok || this.#stopped || path === undefined) return;
    // An upload's location log must reach the others (the push after a commit waits for it only 1 s); it
    // is never settled: it puts a copy in a cloud, which then wants it. Only a download can complete the
    // set of clients.
    if (item.direction !== 'download') {
      void this.#requestPush();
      return;
    }
    this.#settled.set(item.key, path);
    void this.worker.request('settle', async () => {
      const landed = [...this.#settled].map(([key, p]) => ({ key, path: p }));
      this.#settled.clear();
      await this.plan!.settle(landed);
    }).then(() => this.#requestPush()).catch(() => undefined);
  }

  /** Commits what waits, then fetches and merges every cloud and queues what the merge needs. */
  #pull(): Promise<void> {
    return this.worker.request('pull', async () => {
      if (this.#batches.length > 0) await this.#commit();
      let merged = false;
      let ahead = false;
      for (const cloud of this.clouds) {
        const result = await cloud.syncer.pull();
        cloud.seen = await cloud.session.seen();
        merged ||= result.merged;
        ahead ||= result.ahead;
        await this.plan!.files(result.changed);
        if (result.annexChanged) await this.plan!.recheck();
      }
      // A merge commit made here is one the others lack (a fast-forward is not); what a merge replaced may be
      // an old version now.
      if (ahead) void this.#requestPush();
      if (merged) {
        this.#housekeepingSoon ??= setTimeout(() => {
          this.#housekeepingSoon = undefined;
          void this.#housekeeping();
        }, AFTER_MERGE_MS);
      }
    }, true);
  }

  /**
   * Records the stat of the files the last commits staged. add stages them by blob id, without stat, and
   * while any index entry lacks it, every `git ls-files --modified` (two per commit) starts the clean filter,
   * a Node process: ~250 ms on the path of the next change. Done after the push, off that path, and more
   * than a second after the files' last write: git times the index by the second, and an entry written in
   * the second its file changed is "racily clean", which git un-records again.
   */
  #refreshIndexSoon(): void {
    if (this.#stopped || this.#refreshTimer !== undefined) return;
    this.#refreshTimer = setTimeout(() => {
      this.#refreshTimer = undefined;
      if (this.#stopped) return;
      void this.worker.request('refresh', async () => {
        await runGit(this.annex.repo.git, ['update-index', '-q', '--refresh'], { okCodes: [0, 1] });
      }).catch(() => undefined);
    }, REFRESH_AFTER_MS);
  }

  /** Sums up the old versions here for the status page and expires those annex.expireunused lets go. */
  #housekeeping(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return this.worker.request('housekeeping', async () => {
      // The assistant commits with plumbing, which leaves git's own upkeep (packing loose objects) undone,
      // and leaves location logs in the journal until a push: without a cloud nothing else commits them.
      await runGit(this.annex.repo.git, ['maintenance', 'run', '--auto', '--quiet'], { okCodes: [0, 1, 128] });
      await this.annex.branch.commit('update', undefined, { explicit: true });
      const { dropped, summary } = await expireUnused(this.annex);
      this.source.setUnused(summary);
      for (const key of dropped) this.bus.publish({ type: 'dropped', key, from: 'here', reason: 'an old version, unused for longer than annex.expireunused' });
      if (dropped.length > 0) void this.#requestPush();
    }).catch(() => undefined);
  }

  /** Pushes to every cloud (`urgent`: a commit's, on the path of a change); a failure is tried again with backoff. */
  #requestPush(urgent = false): Promise<void> {
    return this.#stopped ? Promise.resolve() : this.#queuePush(urgent);
  }

  #queuePush(urgent: boolean): Promise<void> {
    if (this.clouds.length === 0) return Promise.resolve();
    return this.worker.request('push', async () => {
      try {
        for (const cloud of this.clouds) await cloud.syncer.push();
        this.#pushFailures = 0;
      } catch (err) {
        const wait = PUSH_RETRY_MS[Math.min(this.#pushFailures++, PUSH_RETRY_MS.length - 1)]!;
        clearTimeout(this.#pushTimer);
        this.#pushTimer = setTimeout(() => void this.#requestPush(), wait);
        throw err;
      }
    }, urgent).catch(() => undefined);
  }
}
