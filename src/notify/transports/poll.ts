// The safety net (ARCHITECTURE "Notifier"): ask the cloud itself which manifests changed. Always on unless
// turned off, so a lost notice, a relay that is down or no notifier at all only delays a sync: a change is
// seen within `idle` (20 s) plus one probe. The probe is given by sync/ (one store list, then only the
// manifests whose etag changed), so this file knows nothing of cloudgit. The interval adapts: every `active`
// (2 s) for `activeFor` (60 s) after any activity — this machine pushed, another transport brought a notice,
// a probe found a change — then doubling up to `idle`, each jittered by ±20 % so that peers spread out.
import { NotifierClosedError, NotifierConfigError, NotifierUnavailableError } from '../notifier.js';
import type { ChangeNotice, Notifier, NotifierDeps, NotifierEvents } from '../notifier.js';
import { errorMessage } from '../../util/index.js';

/** Each peer's newest manifest seq in the cloud, as a probe reads it. */
export type ManifestProbe = () => Promise<readonly { readonly peer: string; readonly seq: number }[]>;

export interface PollSettings {
  /** Interval while active, ms. */
  readonly active: number;
  /** How long activity keeps the interval at `active`, ms. */
  readonly activeFor: number;
  /** The ceiling the interval backs off to when idle, ms: the worst-case delay of a change. */
  readonly idle: number;
}

export const DEFAULT_POLL: PollSettings = { active: 2000, activeFor: 60_000, idle: 20_000 };

/**
 * The VALUE of `poll=VALUE`: empty, or `active=2s,idle=20s,active-for=60s` (any of them); values in ms, s or
 * min. `poll=off` is handled by the caller (no poll notifier at all).
 */
export function parsePollSpec(value: string): PollSettings {
  const out: { -readonly [K in keyof PollSettings]: PollSettings[K] } = { ...DEFAULT_POLL };
  if (value.trim() === '') return out;
  for (const part of value.split(',')) {
    const [key, raw] = part.split('=', 2).map((s) => s.trim());
    const name = key === 'active-for' ? 'activeFor' : key;
    if (name !== 'active' && name !== 'activeFor' && name !== 'idle') throw new NotifierConfigError(`poll: unknown setting '${key}' (known: active, idle, active-for)`);
    const ms = parseDuration(raw ?? '');
    if (ms === undefined) throw new NotifierConfigError(`poll: ${key}: expected a duration such as 2s or 500ms, got '${raw ?? ''}'`);
    out[name] = ms;
  }
  if (out.active < 100) throw new NotifierConfigError(`poll: active: ${out.active} ms is too often (at least 100ms)`);
  if (out.idle < out.active) throw new NotifierConfigError(`poll: idle (${out.idle} ms) must be at least active (${out.active} ms)`);
  return out;
}

function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|min)$/.exec(text);
  if (m === null) return undefined;
  return Math.round(Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000));
}

/** S3 Standard request prices assumed by the estimate (us-east-1, USD per 1,000 requests, 2026). */
export const S3_PRICES = { list: 0.005, get: 0.0004 } as const;

export interface PollCost {
  readonly requestsPerMonth: number;
  readonly usdPerMonth: number;
  /** How the figure was made, for `ferry notify` to print. */
  readonly assumption: string;
}

/**
 * What polling costs in a 30-day month at S3 prices: one LIST per probe, plus one GET per changed manifest
 * (`changesPerDay`, each of which also keeps the interval at `active` for `activeFor`).
 */
export function pollCost(settings: PollSettings, changesPerDay = 50): PollCost {
  const day = 86_400_000;
  const activeMs = Math.min(day, changesPerDay * settings.activeFor);
  const lists = 30 * (activeMs / settings.active + (day - activeMs) / settings.idle);
  const gets = 30 * changesPerDay;
  const usd = (lists * S3_PRICES.list + gets * S3_PRICES.get) / 1000;
  return {
    requestsPerMonth: Math.round(lists + gets),
    usdPerMonth: Math.round(usd * 100) / 100,
    assumption: `S3 Standard at $${S3_PRICES.list} per 1,000 LIST and $${S3_PRICES.get} per 1,000 GET; ${changesPerDay} changes a day`,
  };
}

export function createPollNotifier(settings: PollSettings, deps: NotifierDeps & { readonly probe: ManifestProbe }): Notifier {
  return new PollNotifier(settings, deps.probe, deps.now ?? Date.now);
}

class PollNotifier implements Notifier {
  readonly description = 'poll';
  readonly capabilities = { catchUp: true, prompt: false } as const;
  readonly #settings: PollSettings;
  readonly #probe: ManifestProbe;
  /** The newest seq handed on per peer: a probe reports only what is newer. */
  readonly #delivered = new Map<string, number>();
  #onNotice: ((notice: ChangeNotice) => void) | undefined;
  #events: NotifierEvents | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #now: () => number;
  #due = 0;
  #lastActivity: number;
  #interval: number;
  #up = true;
  #closed = false;

  constructor(settings: PollSettings, probe: ManifestProbe, now: () => number) {
    this.#settings = settings;
    this.#probe = probe;
    this.#now = now;
    this.#lastActivity = now();
    this.#interval = settings.active;
  }

  async start(onNotice: (notice: ChangeNotice) => void, events?: NotifierEvents): Promise<void> {
    this.#onNotice = onNotice;
    this.#events = events;
    try {
      await this.#poll(true);
    } catch (err) {
      this.#closed = true;
      throw new NotifierUnavailableError('poll', `cannot read the cloud: ${errorMessage(err)}`, 'check that the store is reachable (ferry sync NAME-git says more)');
    }
    this.#arm();
  }

  announce(_notice: ChangeNotice): Promise<void> {
    if (this.#closed) return Promise.reject(new NotifierClosedError(this.description));
    // This machine's push is its own announcement; it is also activity: replies come soon.
    this.activity();
    return Promise.resolve();
  }

  activity(): void {
    this.#lastActivity = this.#now();
    this.#interval = this.#settings.active;
    if (this.#timer !== undefined && this.#due - this.#now() > this.#settings.active) this.#arm();
  }

  close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#onNotice = undefined;
    return Promise.resolve();
  }

  async #poll(first: boolean): Promise<void> {
    const seen = await this.#probe();
    if (this.#closed) return;
    let changed = false;
    for (const { peer, seq } of seen) {
      if (seq <= (this.#delivered.get(peer) ?? -1)) continue;
      this.#delivered.set(peer, seq);
      // The first probe hands on every peer's newest seq (the catch-up); the hub skips what is already fetched.
      if (!first) changed = true;
      this.#onNotice?.({ peer, seq, time: this.#now() });
    }
    if (changed) this.activity();
  }

  #arm(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    const idle = this.#now() - this.#lastActivity > this.#settings.activeFor;
    if (idle) this.#interval = Math.min(this.#settings.idle, this.#interval * 2);
    const wait = this.#interval * (0.8 + Math.random() * 0.4);
    this.#due = this.#now() + wait;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#poll(false).then(() => {
        if (!this.#up) this.#events?.connection?.((this.#up = true));
      }, () => {
        // The cloud is unreachable for now: say so once, and keep trying at the idle interval.
        if (this.#up) this.#events?.connection?.((this.#up = false));
        this.#interval = this.#settings.idle;
      }).finally(() => this.#arm());
    }, Math.min(wait, this.#settings.idle));
  }
}
