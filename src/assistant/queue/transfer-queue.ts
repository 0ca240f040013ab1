// The assistant's transfer queue (STYLE 11): one owner of the transfers to and from remotes. Other parts ask
// for transfers (enqueue) and read what happens on the EventBus; the queue decides when each runs.
// - Persisted (journal.ts) before enqueue resolves; a restart loads the items and runs them again. The
//   transfer layer resumes what a killed attempt left: the chunks already in a special remote are not
//   sent again, a partial download continues. Failure counts are not persisted: a restart tries at once.
// - At most `concurrency` transfers at once (default 2); downloads first, then in order of arrival.
// - A failure waits backoffDelay(failures) (exponential, capped, jittered) and is tried again, without end:
//   a remote that is down for a day is asked every 10 minutes, never in a loop. Failures asking again
//   cannot fix (no such remote, content gone, the remote lacks it) drop the item: the syncer queues it
//   again when a pull says otherwise.
// - A download that would break annex.diskreserve waits (`spaceRecheckMs`), reported each time, and is
//   never dropped for it.
// - close() starts nothing more and cancels every wait; a transfer under way cannot be interrupted (the
//   transfer layer takes no AbortSignal), so close resolves when it has settled. A daemon that must stop
//   at once may exit instead: that is a kill, and a kill loses nothing here.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Annex } from '../../annex/index.js';
import { parseKey } from '../../annex/index.js';
import type { Remote } from '../../remotes/index.js';
import type { EventBus } from '../events.js';
import type { SelfWrites } from '../self-writes.js';
import { backoffDelay } from './backoff.js';
import type { BackoffOptions } from './backoff.js';
import { identityOf, runsBefore, shownPath } from './item.js';
import type { QueuedTransfer, TransferRequest } from './item.js';
import { QueueJournal } from './journal.js';
import { ProgressThrottle } from './progress.js';
import { attemptTransfer } from './run-transfer.js';

export interface TransferQueueOptions {
  readonly annex: Annex;
  /** The remotes transfers may use, opened by the owner (openRemotes); looked up by name per attempt. */
  readonly remotes: readonly Remote[];
  readonly bus: EventBus;
  readonly selfWrites: SelfWrites;
  /** Transfers under way at most (default 2). */
  readonly concurrency?: number;
  readonly backoff?: BackoffOptions;
  /** How long a download blocked by annex.diskreserve waits before it checks again (default 60 s). */
  readonly spaceRecheckMs?: number;
  /** Minimum time between two transfer-progress events of one transfer (default 250 ms). */
  readonly progressIntervalMs?: number;
  /** The queue's directory (default .git/ferry/assistant). */
  readonly dir?: string;
  /** Called when an item leaves the queue, done (`ok`) or given up; the owner asks for what follows (drops, a push). */
  readonly onSettled?: (item: QueuedTransfer, ok: boolean) => void;
}

export type QueueState = 'queued' | 'running' | 'retry-wait' | 'space-wait';

export interface QueueEntry extends QueuedTransfer {
  readonly state: QueueState;
  /** Failed attempts in a row in this process. */
  readonly failures: number;
  readonly lastError?: string;
  /** When a waiting transfer is tried again (ms since the epoch). */
  readonly retryAt?: number;
}

interface Entry {
  item: QueuedTransfer;
  state: QueueState;
  failures: number;
  attempts: number;
  lastError?: string;
  retryAt?: number;
  timer?: NodeJS.Timeout;
  cancelled: boolean;
}

export class TransferQueue {
  readonly #opts: TransferQueueOptions;
  readonly #journal: QueueJournal;
  readonly #entries = new Map<string, Entry>(); // by identity
  readonly #running = new Set<Promise<void>>();
  readonly #idle = new Set<() => void>();
  #seq: number;
  #started = false;
  #closed = false;

  private constructor(opts: TransferQueueOptions, journal: QueueJournal, items: readonly QueuedTransfer[]) {
    this.#opts = opts;
    this.#journal = journal;
    for (const item of items) this.#entries.set(identityOf(item), { item, state: 'queued', failures: 0, attempts: 0, cancelled: false });
    this.#seq = items.reduce((m, i) => Math.max(m, i.seq), 0);
  }

  /** Loads the persisted queue; nothing runs before start(). One queue per repository (the assistant's lock). */
  static async open(opts: TransferQueueOptions): Promise<TransferQueue> {
    const dir = opts.dir ?? join(opts.annex.repo.layout.ferryDir, 'assistant');
    const { journal, items } = await QueueJournal.open(dir);
    return new TransferQueue(opts, journal, items);
  }

  /** Runs the queue: announces the items loaded from disk, then starts transfers. `signal` closes it. */
  start(signal?: AbortSignal): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    signal?.addEventListener('abort', () => void this.close(), { once: true });
    for (const e of this.#ordered()) this.#publishQueued(e.item);
    this.#pump();
  }

  /**
   * Queues transfers, durably, and returns their ids. One already queued with the same key, direction and
   * remote is the same item (its id is returned; new paths are added to it), whatever state it is in: a
   * request never shortens a backoff, so a syncer asking after every pull cannot make a failing remote spin.
   */
  async enqueue(requests: readonly TransferRequest[]): Promise<string[]> {
    if (this.#closed) throw new Error('the transfer queue is closed');
    const ids: string[] = [];
    const changed: Entry[] = [];
    const added: Entry[] = [];
    for (const r of requests) {
      const identity = identityOf(r);
      const paths = [...new Set(r.paths ?? [])];
      const existing = this.#entries.get(identity);
      if (existing) {
        const more = paths.filter((p) => !existing.item.paths.includes(p));
        if (more.length > 0) {
          existing.item = { ...existing.item, paths: [...existing.item.paths, ...more] };
          if (!changed.includes(existing)) changed.push(existing);
        }
        ids.push(existing.item.id);
        continue;
      }
      const item: QueuedTransfer = { id: newId(), direction: r.direction, key: r.key, remote: r.remote, paths, seq: ++this.#seq };
      const entry: Entry = { item, state: 'queued', failures: 0, attempts: 0, cancelled: false };
      this.#entries.set(identity, entry);
      added.push(entry);
      ids.push(item.id);
    }
    // Published and run only once on disk: an item nobody could find after a crash was never queued.
    try {
      await this.#journal.put([...added, ...changed].map((e) => e.item));
    } catch (err) {
      for (const e of added) this.#entries.delete(identityOf(e.item));
      throw err;
    }
    for (const e of added) if (this.#started) this.#publishQueued(e.item);
    this.#pump();
    return ids;
  }

  /**
   * Removes an item (by id). A waiting one goes at once; one under way finishes its attempt (it cannot be
   * interrupted) and is then neither retried nor reported done twice. False when there is no such item.
   */
  async cancel(id: string): Promise<boolean> {
    const entry = [...this.#entries.values()].find((e) => e.item.id === id);
    if (!entry) return false;
    entry.cancelled = true;
    clearTimeout(entry.timer);
    this.#entries.delete(identityOf(entry.item));
    await this.#journal.delete(id);
    if (entry.state !== 'running') {
      this.#opts.bus.publish({ type: 'transfer-done', transfer: id, ok: false, error: 'cancelled', attempt: entry.attempts });
    }
    this.#checkIdle();
    return true;
  }

  /** Every item, in the order they would run. */
  list(): QueueEntry[] {
    return this.#ordered().map((e) => ({
      ...e.item, state: e.state, failures: e.failures,
      ...(e.lastError !== undefined ? { lastError: e.lastError } : {}),
      ...(e.retryAt !== undefined ? { retryAt: e.retryAt } : {}),
    }));
  }

  /** Resolves when nothing is queued, running or waiting (or at close). */
  idle(): Promise<void> {
    if (this.#entries.size === 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#idle.add(resolve));
  }

  /** Starts nothing more, cancels the waits, and resolves once the transfers under way have settled. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const e of this.#entries.values()) clearTimeout(e.timer);
    while (this.#running.size > 0) await Promise.all([...this.#running]);
    await this.#journal.close();
    for (const resolve of this.#idle) resolve();
    this.#idle.clear();
  }

  #ordered(): Entry[] {
    return [...this.#entries.values()].sort((a, b) => (runsBefore(a.item, b.item) ? -1 : runsBefore(b.item, a.item) ? 1 : 0));
  }

  #publishQueued(item: QueuedTransfer): void {
    this.#opts.bus.publish({ type: 'transfer-queued', transfer: item.id, direction: item.direction, key: item.key, path: shownPath(item), remote: item.remote });
  }

  #pump(): void {
    if (!this.#started || this.#closed) return;
    const limit = Math.max(1, this.#opts.concurrency ?? 2);
    for (const entry of this.#ordered()) {
      if (this.#running.size >= limit) break;
      if (entry.state !== 'queued') continue;
      const run: Promise<void> = this.#run(entry).finally(() => {
        this.#running.delete(run);
        this.#pump();
        this.#checkIdle();
      });
      this.#running.add(run);
    }
  }

  async #run(entry: Entry): Promise<void> {
    entry.state = 'running';
    entry.attempts++;
    const { bus, annex, remotes, selfWrites } = this.#opts;
    const id = entry.item.id;
    const size = parseKey(entry.item.key)?.size;
    const throttle = new ProgressThrottle((bytes) => bus.publish({ type: 'transfer-progress', transfer: id, bytes, size }), this.#opts.progressIntervalMs);
    const context = { annex, remotes, selfWrites, progress: (bytes: number) => throttle.update(bytes) };
    let attempted = entry.item;
    let outcome = await attemptTransfer(attempted, context);
    // Paths added while it ran (another file with this content): the content is here now, this only fills
    // those (not the others again: their SelfWrites record must stay the one of the first fill).
    while (outcome.kind === 'done' && entry.item !== attempted) {
      const before = attempted.paths;
      attempted = entry.item;
      outcome = await attemptTransfer({ ...attempted, paths: attempted.paths.filter((p) => !before.includes(p)) }, context);
    }
    if (entry.cancelled) {
      bus.publish({ type: 'transfer-done', transfer: id, ok: false, error: 'cancelled', attempt: entry.attempts });
      return;
    }
    if (outcome.kind === 'done' || outcome.kind === 'give-up') {
      if (outcome.kind === 'done') throttle.finish(size);
      // Off the disk before anyone hears it is done: a restart then never repeats a finished item's event.
      await this.#journal.delete(id).catch((err: unknown) => {
        bus.publish({ type: 'error', part: 'transfer-queue', message: err instanceof Error ? err.message : String(err) });
      });
      this.#entries.delete(identityOf(entry.item));
      bus.publish(outcome.kind === 'done'
        ? { type: 'transfer-done', transfer: id, ok: true, attempt: entry.attempts }
        : { type: 'transfer-done', transfer: id, ok: false, error: outcome.error, attempt: entry.attempts });
      this.#opts.onSettled?.(entry.item, outcome.kind === 'done');
      return;
    }
    if (outcome.kind === 'failed') entry.failures++;
    const wait = outcome.kind === 'no-space' ? this.#opts.spaceRecheckMs ?? 60_000 : backoffDelay(entry.failures, this.#opts.backoff);
    entry.state = outcome.kind === 'no-space' ? 'space-wait' : 'retry-wait';
    entry.lastError = outcome.error;
    entry.retryAt = Date.now() + wait;
    bus.publish({ type: 'transfer-done', transfer: id, ok: false, error: outcome.error, attempt: entry.attempts, retryInMs: wait });
    if (this.#closed) return;
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      entry.retryAt = undefined;
      entry.state = 'queued';
      this.#pump();
    }, wait);
  }

  #checkIdle(): void {
    if (this.#entries.size > 0 && !this.#closed) return;
    for (const resolve of this.#idle) resolve();
    this.#idle.clear();
  }
}

function newId(): string {
  return `t${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}
