// How long a failed transfer waits before its next attempt: exponential in the number of failures in a
// row, capped, with "equal jitter" (half the wait fixed, half random). The fixed half guarantees a failing
// remote is never asked again sooner than base·2ⁿ⁻²: full jitter (the store's own retry layer, which
// retries for seconds) can draw a wait near zero, which here, repeated for hours, would be a spin.

export interface BackoffOptions {
  /** The cap of the first wait (default 2 s). */
  readonly baseMs?: number;
  /** No wait is longer than this (default 10 minutes). */
  readonly maxMs?: number;
}

export const DEFAULT_BACKOFF = { baseMs: 2000, maxMs: 600_000 } as const;

/** The wait after the `failures`-th failure in a row (1, 2, …); `random` in [0, 1). */
export function backoffDelay(failures: number, opts: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = opts.baseMs ?? DEFAULT_BACKOFF.baseMs;
  const max = opts.maxMs ?? DEFAULT_BACKOFF.maxMs;
  const cap = Math.min(max, base * 2 ** Math.min(Math.max(failures - 1, 0), 40));
  return Math.round(cap / 2 + random() * (cap / 2));
}
