// The frames a relay keeps for late joiners: per channel the last few distinct frames (several, so that every
// recent peer's notice is caught up, not only the last one's), each for a limited time, over a bounded number
// of channels forgotten least-recently-used first. Memory only: a restart forgets them, which delays a sync
// (poll catches up) and never loses data.

interface Kept {
  readonly frame: Buffer;
  readonly at: number;
}

export class Retention {
  /** Map order is recency: a channel written to moves to the end; the first one is evicted. */
  readonly #channels = new Map<string, Kept[]>();
  #frames = 0;

  constructor(
    private readonly maxChannels: number,
    private readonly perChannel: number,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  /** Keeps `frame` as the channel's newest; an identical frame already kept moves to newest instead. */
  keep(channel: string, frame: Buffer): void {
    if (this.maxChannels <= 0 || this.perChannel <= 0) return;
    const list = this.#live(channel) ?? [];
    this.#channels.delete(channel);
    const same = list.findIndex((k) => k.frame.equals(frame));
    if (same >= 0) {
      list.splice(same, 1);
      this.#frames--;
    }
    list.push({ frame: Buffer.from(frame), at: this.now() });
    this.#frames++;
    while (list.length > this.perChannel) {
      list.shift();
      this.#frames--;
    }
    this.#channels.set(channel, list);
    while (this.#channels.size > this.maxChannels) {
      const [oldest, kept] = this.#channels.entries().next().value as [string, Kept[]];
      this.#channels.delete(oldest);
      this.#frames -= kept.length;
    }
  }

  /** The channel's unexpired frames, oldest first. */
  frames(channel: string): Buffer[] {
    return (this.#live(channel) ?? []).map((k) => k.frame);
  }

  /** Forgets expired frames everywhere (called now and then, so idle channels do not hold memory). */
  sweep(): void {
    for (const channel of [...this.#channels.keys()]) this.#live(channel);
  }

  get channels(): number {
    return this.#channels.size;
  }

  get size(): number {
    return this.#frames;
  }

  #live(channel: string): Kept[] | undefined {
    const list = this.#channels.get(channel);
    if (list === undefined) return undefined;
    const cutoff = this.now() - this.ttlMs;
    let expired = 0;
    while (expired < list.length && list[expired]!.at <= cutoff) expired++;
    if (expired > 0) {
      list.splice(0, expired);
      this.#frames -= expired;
    }
    if (list.length === 0) {
      this.#channels.delete(channel);
      return undefined;
    }
    return list;
  }
}
