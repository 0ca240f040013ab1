// The status server's secrets. The reads carry file names and peers, so nothing is served without the
// token; a browser gets a session cookie instead, through a one-time login value that `ferry status --open`
// asks for and that works once (a URL left in a terminal's scrollback or shell history is then useless).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 random bytes, base64url: unguessable. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Equal, in time independent of where they differ (hashing first makes the lengths equal). */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** One-time login values: each redeemable once, within `lifetimeMs` of being issued. */
export class OneTimeValues {
  readonly #issued = new Map<string, number>();

  constructor(
    private readonly lifetimeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  issue(): string {
    this.#expire();
    const value = newSecret();
    this.#issued.set(value, this.now() + this.lifetimeMs);
    return value;
  }

  /** True once for a value issued and not yet redeemed or expired. */
  redeem(value: string): boolean {
    this.#expire();
    for (const issued of this.#issued.keys()) {
      if (sameSecret(value, issued)) {
        this.#issued.delete(issued);
        return true;
      }
    }
    return false;
  }

  #expire(): void {
    const now = this.now();
    for (const [value, until] of this.#issued) if (until <= now) this.#issued.delete(value);
  }
}
