// What a receiver does with notices (ARCHITECTURE "Notifier"): several notifiers at once, and from all of
// them one stream of fetches. A notice is only a hint, so the hub acts on it only when it is news: a peer's
// seq above what this repository has already fetched of it and above what is already queued. Replays, echoes
// and the same notice through two transports therefore cost nothing, and a new one costs one fetch, at most
// one per peer per `minInterval`. The notice's time is never checked: a late joiner acts on a retained
// notice however old it is.
import { NO_PEER } from './notice.js';
import type { ChangeNotice } from './notice.js';
import type { Notifier, NotifierEvents } from './notifier.js';

export interface HubOptions {
  /** This repository's own peer id: its own notices, echoed back by a transport, are ignored. */
  readonly self: string;
  /** The newest seq of `peer` already fetched and applied here (cloudgit's state); 0 when none. */
  seen(peer: string): number;
  /**
   * Fetches `notice.peer`'s manifest (a cloud fetch reads every changed one). Called one at a time. When it
   * fails, or `seen` is still below the notice's seq after it (the store shows the manifest late), the hub
   * tries again after 1, 2, 4, 8 and 16 s, then leaves it to poll.
   */
  fetch(notice: ChangeNotice): Promise<void>;
  /** Least time between two fetches one peer's notices cause, in ms. Default 2000. */
  readonly minInterval?: number;
  readonly events?: HubEvents;
}

export interface HubEvents extends NotifierEvents {
  /** A notice that is news, before its fetch. */
  notice?(notice: ChangeNotice, via: string): void;
  /** `connection`, naming the notifier whose connection came up or went down. */
  notifierConnection?(notifier: Notifier, up: boolean): void;
  /** A fetch failed (it is tried again unless `final`). */
  failed?(notice: ChangeNotice, err: unknown, final: boolean): void;
}

const RETRIES_MS = [1000, 2000, 4000, 8000, 16_000];

interface Pending {
  notice: ChangeNotice;
  attempt: number;
  /** Not before this (performance.now()): the rate limit or a retry's backoff. */
  notBefore: number;
}

export class NoticeHub {
  readonly #notifiers: readonly Notifier[];
  readonly #opts: HubOptions;
  readonly #pending = new Map<string, Pending>();
  readonly #lastFetch = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  /** The notice whose fetch is under way: the same news through another transport meanwhile costs nothing. */
  #inFlight: ChangeNotice | undefined;
  #closed = false;

  constructor(notifiers: readonly Notifier[], opts: HubOptions) {
    this.#notifiers = notifiers;
    this.#opts = opts;
  }

  /**
   * Starts every notifier. Resolves once at least one is subscribed; rejects with the first one's error
   * only when none could start (those that failed are closed and left out); returns those that failed.
   */
  async start(): Promise<{ notifier: Notifier; err: unknown }[]> {
    const events = this.#opts.events;
    const results = await Promise.allSettled(this.#notifiers.map((n) => n.start((notice) => this.#receive(notice, n), {
      ...events,
      connection: (up) => {
        events?.connection?.(up);
        events?.notifierConnection?.(n, up);
      },
    })));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ err: r.reason as unknown, notifier: this.#notifiers[i]! }] : []));
    for (const f of failed) await f.notifier.close();
    if (failed.length === this.#notifiers.length && failed[0] !== undefined) throw failed[0].err;
    return failed;
  }

  /** Announces through every notifier; one transport's failure does not stop the others. */
  async announce(notice: ChangeNotice): Promise<void> {
    await Promise.allSettled(this.#notifiers.map((n) => n.announce(notice)));
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#pending.clear();
    await Promise.allSettled(this.#notifiers.map((n) => n.close()));
    await this.#running;
  }

  #receive(notice: ChangeNotice, via: Notifier): void {
    if (this.#closed || notice.peer === this.#opts.self) return;
    const queued = this.#pending.get(notice.peer);
    // A notice without a peer (a repository with no cloud git remote) carries no seq worth comparing.
    const flying = this.#inFlight;
    if (notice.peer !== NO_PEER && (notice.seq <= this.#opts.seen(notice.peer) || (queued !== undefined && notice.seq <= queued.notice.seq)
      || (flying?.peer === notice.peer && notice.seq <= flying.seq))) return;
    for (const n of this.#notifiers) if (n !== via) n.activity?.();
    this.#opts.events?.notice?.(notice, via.description);
    const last = this.#lastFetch.get(notice.peer);
    const notBefore = last === undefined ? 0 : last + (this.#opts.minInterval ?? 2000);
    this.#pending.set(notice.peer, { notice, attempt: queued?.attempt ?? 0, notBefore: Math.max(notBefore, queued?.notBefore ?? 0) });
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed || this.#running !== undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const now = performance.now();
    const due = [...this.#pending.values()].sort((a, b) => a.notBefore - b.notBefore)[0];
    if (due === undefined) return;
    if (due.notBefore > now) {
      this.#timer = setTimeout(() => this.#schedule(), due.notBefore - now);
      return;
    }
    this.#pending.delete(due.notice.peer);
    this.#inFlight = due.notice;
    this.#running = this.#fetch(due).finally(() => {
      this.#running = undefined;
      this.#inFlight = undefined;
      this.#schedule();
    });
  }

  async #fetch(p: Pending): Promise<void> {
    const { notice } = p;
    this.#lastFetch.set(notice.peer, performance.now());
    let error: unknown;
    try {
      await this.#opts.fetch(notice);
    } catch (err) {
      error = err;
    }
    if (this.#closed) return;
    const satisfied = error === undefined && (notice.peer === NO_PEER || this.#opts.seen(notice.peer) >= notice.seq);
    if (satisfied) return;
    const wait = RETRIES_MS[p.attempt];
    this.#opts.events?.failed?.(notice, error ?? new Error(`the cloud does not show seq ${notice.seq} of peer ${notice.peer} yet`), wait === undefined);
    if (wait === undefined || this.#pending.has(notice.peer)) return; // given up (poll will see it), or a newer notice is queued
    this.#pending.set(notice.peer, { notice, attempt: p.attempt + 1, notBefore: performance.now() + wait });
  }
}
