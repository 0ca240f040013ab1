// Every bound of `ferry relay` in one record, with the defaults docs/notify.md documents, and the token bucket
// that bounds each connection's message rate. A relay is reachable by anyone who knows its address, so every
// resource a client can make it hold has a ceiling here.
import { MAX_FRAME_BYTES } from '../notify/notice.js';

export interface RelayLimits {
  /** Open WebSocket connections; more are refused with HTTP 503 (10,000-client fan-out with headroom). */
  readonly maxConnections: number;
  /** Channels one connection may subscribe to; more closes it with 1008. */
  readonly channelsPerConnection: number;
  /** A binary frame longer than this closes the connection with 1009 (the notice codec's own ceiling). */
  readonly maxFrameBytes: number;
  /** Messages a connection may send per second, sustained (token bucket refill rate). */
  readonly ratePerSecond: number;
  /** Messages a connection may send at once (token bucket size); beyond it they are dropped unread. */
  readonly burst: number;
  /** Dropped-for-rate messages a connection may pile up (refilled at ratePerSecond) before it is closed with 1008. */
  readonly abuseAllowance: number;
  /** Channels whose recent notices are kept for late joiners; the least recently used is forgotten first. */
  readonly retainedChannels: number;
  /** Distinct frames kept per channel (one slot would keep only the last peer's notice). */
  readonly retainedPerChannel: number;
  /** How long a kept frame is handed to late joiners. */
  readonly retainMs: number;
  /** A subscriber whose unsent backlog exceeds this is dropped, not buffered. */
  readonly slowConsumerBytes: number;
  /** Resident memory above which new connections are refused with HTTP 503 until it falls again. */
  readonly maxMemoryBytes: number;
  /** Ping interval; a connection that has not answered the previous ping by the next one is terminated. */
  readonly pingIntervalMs: number;
}

export const DEFAULT_LIMITS: RelayLimits = {
  maxConnections: 20_000,
  channelsPerConnection: 64,
  maxFrameBytes: MAX_FRAME_BYTES,
  ratePerSecond: 10,
  burst: 20,
  abuseAllowance: 100,
  retainedChannels: 50_000,
  retainedPerChannel: 8,
  retainMs: 7 * 24 * 3_600_000,
  slowConsumerBytes: 64 * 1024,
  maxMemoryBytes: 512 * 1024 * 1024,
  pingIntervalMs: 30_000,
};

/**
 * The largest text message a connection may send: a subscription naming every channel it may hold
 * (`"<32 hex>",` each) and some room. The WebSocket layer cuts anything longer with 1009 before parsing.
 */
export function maxTextBytes(limits: RelayLimits): number {
  return Math.max(1024, limits.channelsPerConnection * 40 + 256);
}

/** A token bucket: `take()` succeeds while tokens remain; they refill at `rate` per second up to `size`. */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    private readonly rate: number,
    private readonly size: number,
    private readonly now: () => number,
  ) {
    this.#tokens = size;
    this.#last = now();
  }

  take(): boolean {
    const t = this.now();
    this.#tokens = Math.min(this.size, this.#tokens + ((t - this.#last) / 1000) * this.rate);
    this.#last = t;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
