// The Notifier interface (ARCHITECTURE "Notifier"): how one machine tells the others "I pushed", through a
// relay, an MQTT broker, an XMPP account, or by polling the cloud. Every transport passes the one conformance
// suite (test/notify/notifier-conformance.ts) against its real server; each contract comment below names
// what that suite checks. A notice is only a hint to fetch: the cloud stays the truth, so a lost notice
// delays a sync and never loses data.
import { FerryError } from '../util/index.js';
import type { ChangeNotice, NoticeChannel } from './notice.js';

export type { ChangeNotice } from './notice.js';

export interface NotifierCapabilities {
  /**
   * A receiver that starts after a notice was announced still gets it (relay: the last few per channel;
   * MQTT: retained, one per peer; poll: the cloud itself). XMPP has none: prosody drops headlines when no
   * resource is online, so poll does that catch-up.
   */
  readonly catchUp: boolean;
  /** Notices reach receivers within a second or so; false for poll, which is the always-on safety net. */
  readonly prompt: boolean;
}

export interface NotifierEvents {
  /** A frame that was not an authenticated notice of this channel, dropped (for counters and debugging). */
  dropped?(reason: string): void;
  /** The connection came up or went down (the transport reconnects by itself after a drop). */
  connection?(up: boolean): void;
}

export interface Notifier {
  /** For messages and status: the transport and where ("relay ws://relay.example:7080"); no secrets. */
  readonly description: string;
  readonly capabilities: NotifierCapabilities;

  /**
   * Connects and subscribes to the channel, then calls onNotice with every authenticated notice: those
   * announced from now on by anyone (this notifier's own included), and, with `catchUp`, those announced
   * before. Frames that fail authentication or are malformed never reach onNotice. Resolves once subscribed;
   * rejects with NotifierUnavailableError when the first connection fails (nothing is left running then).
   * After a later drop it reconnects by itself (backoff with jitter), subscribes again and catches up.
   * The same notice may arrive more than once: receivers dedupe (notify/hub.ts). Call once.
   */
  start(onNotice: (notice: ChangeNotice) => void, events?: NotifierEvents): Promise<void>;

  /**
   * Tells every subscriber of the channel. Never fails for an outage once started: while disconnected the
   * newest notice is kept and sent on reconnect (older ones are superseded by it). Rejects only for a
   * notice that cannot be sealed (NoticeError) or after close().
   */
  announce(notice: ChangeNotice): Promise<void>;

  /**
   * Something happened (this machine pushed, another transport brought a notice): a transport that polls
   * polls often for a while. Others ignore it.
   */
  activity?(): void;

  /**
   * Disconnects and releases every socket and timer; onNotice is never called after it resolves.
   * Idempotent.
   */
  close(): Promise<void>;
}

/** What every transport factory gets besides its own settings. */
export interface NotifierDeps {
  readonly channel: NoticeChannel;
  /** ms since the epoch; tests pass a fake clock. */
  readonly now?: () => number;
  /** A password the transport needs (MQTT, XMPP), read by the caller from the environment or a file. */
  readonly password?: string;
}

/** A transport's server could not be reached, or refused us; the message names it and says what to check. */
export class NotifierUnavailableError extends FerryError {
  constructor(description: string, reason: string, hint?: string) {
    super(`${description}: ${reason}`, { data: { notifier: description, reason }, hint });
  }
}

/** A notifier setting that cannot be used: the message names the setting. */
export class NotifierConfigError extends FerryError {
  constructor(message: string, hint?: string) {
    super(message, { hint: hint ?? 'notifier settings look like relay=ws://HOST:PORT, mqtt=mqtt://HOST:PORT, xmpp=USER@HOST or poll' });
  }
}

export class NotifierClosedError extends FerryError {
  constructor(description: string) {
    super(`${description}: announce after close`);
  }
}
