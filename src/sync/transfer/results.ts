// What transfer commands report per file or key, for the CLI to print in git-annex's shapes.
import type { TransferItem } from './items.js';

export interface TransferResult {
  readonly item: TransferItem;
  readonly ok: boolean;
  /** git-annex's note: "from origin...", "to origin...", or the reasons a drop was unsafe. */
  readonly note?: string;
  readonly error?: string;
  /** What to do about the error, when the error says (a credentials or free-space hint). */
  readonly hint?: string;
}

export interface TransferEvents {
  /** A transfer of `item` begins (note: "from REMOTE..." / "to REMOTE..."). */
  start?(item: TransferItem, note: string): void;
  /** Bytes moved so far for `item`, of `total` when known. */
  progress?(item: TransferItem, bytes: number, total: number | undefined): void;
  done(result: TransferResult): void;
}
