// What the transfer queue holds: one content transfer between this repository and one remote, named by
// key, direction and remote. That triple is the item's identity: asking for it again while it is queued
// is the same item (a second file with the same content adds its path to the download).

export type TransferDirection = 'upload' | 'download';

export interface TransferRequest {
  readonly direction: TransferDirection;
  readonly key: string;
  /** The remote's name here (a special remote such as the cloud, or a git remote on a path). */
  readonly remote: string;
  /**
   * Work-tree paths (relative, '/') whose files hold this key. A download fills in those that are still
   * pointer files; an upload only names them (preferred content asks about files once it has landed).
   * Empty for a transfer by key.
   */
  readonly paths?: readonly string[];
}

export interface QueuedTransfer {
  /** Unique across restarts; the `transfer` field of the assistant's transfer events. */
  readonly id: string;
  readonly direction: TransferDirection;
  readonly key: string;
  readonly remote: string;
  readonly paths: readonly string[];
  /** Order of arrival; kept across restarts, so the order survives them too. */
  readonly seq: number;
}

/** Items with the same identity are one item. */
export function identityOf(t: { direction: TransferDirection; key: string; remote: string }): string {
  return `${t.direction}\0${t.remote}\0${t.key}`;
}

/**
 * Which ready item runs first: downloads before uploads (a download is a file a user on this machine
 * is missing; an upload is background work another machine may want later), then first come first served.
 * Kept that simple on purpose; a long download backlog delays uploads, never loses them.
 */
export function runsBefore(a: QueuedTransfer, b: QueuedTransfer): boolean {
  if (a.direction !== b.direction) return a.direction === 'download';
  return a.seq < b.seq;
}

/** The path shown in events: the first file, if any. */
export function shownPath(t: QueuedTransfer): string | undefined {
  return t.paths[0];
}
