// transfer-progress events, throttled: at most one per interval (250 ms) while bytes move, and always the
// last one. A byte-count trigger (say every MiB) was left out: a fast local transfer of a few GiB would
// publish thousands of events and push everything else out of the EventBus's kept window.

export class ProgressThrottle {
  #lastAt = -Infinity;
  #lastBytes = -1;
  #bytes = 0;

  constructor(
    private readonly publish: (bytes: number) => void,
    private readonly intervalMs = 250,
    private readonly now: () => number = Date.now,
  ) {}

  update(bytes: number): void {
    this.#bytes = bytes;
    const t = this.now();
    if (t - this.#lastAt < this.intervalMs) return;
    this.#emit(t);
  }

  /** Publishes the latest count unless it was the last one published. */
  finish(bytes?: number): void {
    if (bytes !== undefined) this.#bytes = bytes;
    if (this.#bytes !== this.#lastBytes) this.#emit(this.now());
  }

  #emit(t: number): void {
    this.#lastAt = t;
    this.#lastBytes = this.#bytes;
    this.publish(this.#bytes);
  }
}
