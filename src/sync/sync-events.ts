// How `ferry sync` reports as it goes: the steps git-annex prints ("commit", "pull origin", "push origin",
// each ending "ok" or "failed"), the output of the git commands it runs, what each push did, and its own
// notes. sync/ only emits these; cli/ (and later the assistant) decides how they look.
import type { ContentAction } from './sync-content.js';
import type { PushResult } from './sync-remote.js';
import type { TransferEvents } from './transfer/index.js';

/** git-annex's words for the steps of a sync (annex-format.md §4). */
export type SyncStep = 'commit' | 'merge' | 'pull' | 'push';

/** 'info' goes with the steps ("(merging origin/git-annex into git-annex...)"); 'warning' is a problem. */
export type NoteLevel = 'info' | 'warning';

export interface SyncEvents {
  /** A step begins: "commit", "merge synced/main" (target synced/main), "pull origin", "push origin". */
  stepStarted(step: SyncStep, target: string | undefined): void;
  /** Text a git command printed during the step, passed on as git-annex passes it on. */
  gitOutput(text: string, stream: 'stdout' | 'stderr'): void;
  /** What the push of the current "push" step did, ref by ref. */
  pushReport(result: PushResult): void;
  /** One of ferry's own messages, e.g. "Remote gone cannot currently be accessed." (a warning). */
  note(text: string, level: NoteLevel): void;
  /** The step that started last has ended; `error` (one line) says why when it failed. */
  stepEnded(ok: boolean, error?: string): void;
  /**
   * Where the content step (--content) reports each file: one receiver per action word and, for drops
   * from a remote ("drop origin FILE"), per remote.
   */
  contentEvents(action: ContentAction, remote?: string): TransferEvents;
}
