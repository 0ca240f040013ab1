// The assistant's one event stream (STYLE 12): every part publishes what happened here, numbered in order;
// the status server serves it (`/api/events?since=N`), `ferry status` and the web page read only that, and
// end-to-end tests wait on it instead of sleeping. Events say what happened, never what to do: parts that
// need work done ask the worker, they do not react to each other's events.

/** What the assistant reports. Paths are relative to the work tree, with '/'. */
export type AssistantEventBody =
  | { readonly type: 'started'; readonly pid: number; readonly repository: string }
  | { readonly type: 'stopping'; readonly reason: string }
  /** The watcher saw changes (coalesced); `scan` for the catch-up scan at start or after an overflow. */
  | { readonly type: 'changes-seen'; readonly paths: number; readonly scan: boolean }
  /** A file was not added yet: still being written, open for writing, or changed while hashed. */
  | { readonly type: 'file-deferred'; readonly path: string; readonly reason: string }
  | { readonly type: 'committed'; readonly commit: string; readonly added: number; readonly deleted: number; readonly message: string }
  | { readonly type: 'transfer-queued'; readonly transfer: string; readonly direction: 'upload' | 'download'; readonly key: string; readonly path: string | undefined; readonly remote: string }
  | { readonly type: 'transfer-progress'; readonly transfer: string; readonly bytes: number; readonly size: number | undefined }
  | { readonly type: 'transfer-done'; readonly transfer: string; readonly ok: boolean; readonly error?: string; readonly attempt: number; readonly retryInMs?: number }
  | { readonly type: 'pushed'; readonly remote: string; readonly seq: number }
  | { readonly type: 'pulled'; readonly remote: string; readonly merged: boolean; readonly changed: number }
  | { readonly type: 'notice'; readonly remote: string; readonly peer: string; readonly seq: number; readonly via: string }
  | { readonly type: 'notifier'; readonly remote: string; readonly notifier: string; readonly state: 'connected' | 'reconnecting' | 'failed' | 'polling'; readonly detail?: string }
  | { readonly type: 'dropped'; readonly key: string; readonly from: string; readonly reason: string }
  | { readonly type: 'error'; readonly part: string; readonly message: string };

export type AssistantEvent = AssistantEventBody & {
  /** 1, 2, 3, … in the order published; never reused within one assistant process. */
  readonly id: number;
  /** ms since the epoch. */
  readonly time: number;
};

/**
 * Numbered events, the newest `capacity` of them kept for readers that ask `since(n)`; older ones are
 * gone (a reader that fell that far behind reloads `/api/status` instead). Publishing never blocks.
 */
export class EventBus {
  readonly #kept: AssistantEvent[] = [];
  readonly #listeners = new Set<(e: AssistantEvent) => void>();
  readonly #capacity: number;
  readonly #now: () => number;
  #last = 0;

  constructor(opts: { capacity?: number; now?: () => number } = {}) {
    this.#capacity = opts.capacity ?? 1000;
    this.#now = opts.now ?? Date.now;
  }

  /** The id of the newest event published; 0 before the first. */
  get last(): number {
    return this.#last;
  }

  publish(body: AssistantEventBody): AssistantEvent {
    const event: AssistantEvent = { ...body, id: ++this.#last, time: this.#now() };
    this.#kept.push(event);
    if (this.#kept.length > this.#capacity) this.#kept.shift();
    for (const listener of this.#listeners) listener(event);
    return event;
  }

  /**
   * The kept events after `id`, oldest first, and whether some after `id` are no longer kept (`missed`:
   * the reader should reload the whole status).
   */
  since(id: number): { events: AssistantEvent[]; missed: boolean } {
    const first = this.#kept[0]?.id ?? this.#last + 1;
    return { events: this.#kept.filter((e) => e.id > id), missed: id + 1 < first };
  }

  /** Calls `listener` with every event published from now on; returns the function that stops it. */
  subscribe(listener: (e: AssistantEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
