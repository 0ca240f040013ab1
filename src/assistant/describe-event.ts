// One line of text per assistant event, for `ferry assistant --foreground` and its log file. The page and
// `ferry status --json` read the events themselves; this is only for people reading a terminal or a log.
import type { AssistantEvent } from './events.js';

export function describeEvent(e: AssistantEvent): string | undefined {
  switch (e.type) {
    case 'started': return `started (pid ${e.pid}) in ${e.repository}`;
    case 'stopping': return `stopping: ${e.reason}`;
    case 'changes-seen': return undefined; // the commit that follows says more
    case 'file-deferred': return `not yet: ${e.path} (${e.reason})`;
    case 'committed': return `committed ${e.commit.slice(0, 7)}: ${e.added} added, ${e.deleted} deleted`;
    case 'transfer-queued': return `queued ${e.direction} ${e.path ?? e.key} ${e.direction === 'upload' ? 'to' : 'from'} ${e.remote}`;
    case 'transfer-progress': return undefined;
    case 'transfer-done':
      return e.ok ? `transfer ${e.transfer} done`
        : `transfer ${e.transfer} failed (attempt ${e.attempt}): ${e.error ?? 'failed'}${e.retryInMs === undefined ? '' : `; again in ${Math.round(e.retryInMs / 1000)} s`}`;
    case 'pushed': return `pushed to ${e.remote} (seq ${e.seq})`;
    case 'pulled': return e.merged ? `pulled from ${e.remote}: ${e.changed} file${e.changed === 1 ? '' : 's'} changed` : undefined;
    case 'notice': return `notice from peer ${e.peer.slice(0, 8)} seq ${e.seq} via ${e.via}`;
    case 'notifier': return `${e.remote}: ${e.notifier} ${e.state}${e.detail === undefined ? '' : ` (${e.detail})`}`;
    case 'dropped': return `dropped ${e.key} from ${e.from}: ${e.reason}`;
    case 'error': return `error in ${e.part}: ${e.message}`;
  }
}
