// The watcher's errors (STYLE 6).
import { FerryError } from '../../util/index.js';

/** The kernel refused another inotify watch: the user's limit is too low for this tree. */
export class WatchLimitError extends FerryError {
  constructor(root: string, cause: unknown) {
    super(`cannot watch ${root}: the inotify watch limit (fs.inotify.max_user_watches) is used up`, {
      data: { root },
      cause,
      hint: 'raise it, e.g. `sudo sysctl fs.inotify.max_user_watches=524288`, and make it last with a line ' +
        '`fs.inotify.max_user_watches=524288` in /etc/sysctl.d/90-ferry.conf; then start the assistant again',
    });
  }
}

/** The native watcher failed for another reason. */
export class WatchError extends FerryError {
  constructor(root: string, cause: unknown) {
    super(`cannot watch ${root}: ${cause instanceof Error ? cause.message : String(cause)}`, { data: { root }, cause });
  }
}

/** @parcel/watcher reports inotify_add_watch's ENOSPC as "… failed: No space left on device". */
export function watchError(root: string, err: unknown): FerryError {
  const message = err instanceof Error ? err.message : String(err);
  if (/inotify/i.test(message) && /No space left on device|ENOSPC/i.test(message)) return new WatchLimitError(root, err);
  return new WatchError(root, err);
}
