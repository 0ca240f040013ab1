// The content step of `ferry sync --content` (annex-format.md §4, git-annex's seekSyncContent): get what
// this repository wants, send what each remote wants, drop what is no longer wanted where numcopies
// allows. sync/ runs it between merging and pushing; its implementation lives in content.ts.
import type { Annex } from '../annex/index.js';
import type { TransferEvents } from './transfer/index.js';

/** The words git-annex prints for content moves during a sync: "get f (from origin...) ok", ... */
export type ContentAction = 'get' | 'copy' | 'drop';

export interface ContentSyncOptions {
  /** Where each file's result goes: one receiver per action word (and per remote, for drops from one). */
  readonly events: (action: ContentAction, remote?: string) => TransferEvents;
  /** A warning to show, e.g. why a remote of the sync carries no content ("content over ssh needs ..."). */
  readonly note?: (text: string) => void;
  /** Transfers at once (-J), when given. */
  readonly jobs?: number;
  /** Also every other key this repository or the git-annex branch knows (--all), after the files. */
  readonly all?: boolean;
}

export interface ContentSyncResult {
  /**
   * Whether any content moved or was dropped. sync then fetches and merges the git-annex branches again
   * before pushing (as git-annex does), so its push does not overwrite what others recorded meanwhile.
   */
  readonly changed: boolean;
  /** Files or keys whose move failed; each was reported through `events`. */
  readonly failed: number;
}

export interface ContentSync {
  /**
   * Moves content between this repository and `remotes` (the names of the remotes this sync talks to and
   * could reach) according to preferred content and numcopies.
   * Rejects only for errors that stop the whole step; per-file failures are counted in the result.
   */
  run(annex: Annex, remotes: readonly string[], opts: ContentSyncOptions): Promise<ContentSyncResult>;
}
