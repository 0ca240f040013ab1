// What `/api/status` returns: the assistant's whole state at one moment, filled in by the daemon. The page
// and `ferry status` render it, then follow the event stream from `lastEvent` on (STYLE 12).

/** A repository this one syncs with, as seen through its change notices and location logs. */
export interface PeerStatus {
  readonly uuid: string;
  readonly description: string;
  /** The git remote it is reached through, when it has one here. */
  readonly remote?: string;
  /** The sequence number of its last published change notice, when one was seen. */
  readonly seq?: number;
  /** When that notice (or the last sign of life) was seen, ms since the epoch. */
  readonly lastSeen?: number;
  /** Silent longer than the retirement period: offered `ferry dead PEER`, never dropped by itself. */
  readonly silent?: boolean;
  /** What its preferred content wants that it does not have yet. */
  readonly lacks: { readonly files: number; readonly bytes: number; readonly examples: readonly string[] };
}

export type TransferState = 'queued' | 'active' | 'retrying' | 'failed';

/** One entry of the persisted transfer queue; `transfer` is the id the transfer-* events carry. */
export interface TransferStatus {
  readonly transfer: string;
  readonly direction: 'upload' | 'download';
  readonly key: string;
  readonly path?: string;
  readonly remote: string;
  readonly state: TransferState;
  readonly bytes: number;
  readonly size?: number;
  readonly attempt: number;
  readonly error?: string;
  /** When a retry is due, ms since the epoch. */
  readonly retryAt?: number;
}

export type NotifierState = 'connected' | 'reconnecting' | 'failed' | 'polling';

export interface NotifierStatus {
  readonly remote: string;
  /** e.g. "relay wss://…", "mqtt …", "poll". */
  readonly notifier: string;
  readonly state: NotifierState;
  readonly detail?: string;
  /** When it entered that state, ms since the epoch. */
  readonly since?: number;
}

/** A cloud store's usage and what its requests are expected to cost (an estimate, with its basis). */
export interface CloudStatus {
  readonly remote: string;
  readonly type: string;
  /** What it holds of the work tree's files, by the location logs (old versions are not counted). */
  readonly storedBytes?: number;
  /** How many of the work tree's files (distinct contents) it holds. */
  readonly objects?: number;
  readonly requestsPerMonth?: number;
  readonly estimatedCostPerMonth?: { readonly amount: number; readonly currency: string; readonly basis: string };
}

export interface StatusSnapshot {
  readonly repository: { readonly path: string; readonly uuid: string; readonly description: string; readonly seq?: number };
  readonly assistant: { readonly pid: number; readonly startedAt: number };
  readonly peers: readonly PeerStatus[];
  readonly transfers: readonly TransferStatus[];
  readonly notifiers: readonly NotifierStatus[];
  readonly cloud: readonly CloudStatus[];
  /** Space taken by old versions (unused content) and whether a setting expires them. */
  readonly unused?: { readonly keys: number; readonly bytes: number; readonly expireAfterDays?: number };
}

/** The `/api/status` body: the snapshot, when it was taken, and the id of the last event it may not reflect. */
export type StatusResponse = StatusSnapshot & {
  /** Follow `/api/events?since=lastEvent`: events up to it are already in the snapshot (or harmless to replay). */
  readonly lastEvent: number;
  /** Server time, ms since the epoch, for ages. */
  readonly now: number;
};
