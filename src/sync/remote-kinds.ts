// The kinds of remote sync talks to, chosen by URL: a literal table, the first match wins (STYLE 9). The
// cloud git remote (ferry:: URLs, ARCHITECTURE "Git in the cloud") is added here ahead of plain git,
// offering one head per peer through SyncRemote.headsToMerge; everything else is a git remote.
import type { Annex } from '../annex/index.js';
import { CloudSyncRemote } from './cloud-sync-remote.js';
import type { PushAnnouncer } from './cloud-sync-remote.js';
import { GitSyncRemote } from './git-remote.js';
import type { GitRemoteSettings } from './remote-list.js';
import type { SyncRemote } from './sync-remote.js';

export interface SyncRemoteKind {
  readonly name: string;
  matches(url: string): boolean;
  create(annex: Annex, settings: GitRemoteSettings): SyncRemote;
}

/** The table; `announce` is how pushes to the cloud are announced (default: announcePush's own connections). */
export function syncRemoteKinds(announce?: PushAnnouncer): readonly SyncRemoteKind[] {
  return [
    { name: 'cloud', matches: (url) => url.startsWith('ferry::'), create: (annex, settings) => new CloudSyncRemote(annex, settings, announce) },
    { name: 'git', matches: () => true, create: (annex, settings) => new GitSyncRemote(annex, settings) },
  ];
}

export const SYNC_REMOTE_KINDS: readonly SyncRemoteKind[] = syncRemoteKinds();

export function openSyncRemote(annex: Annex, settings: GitRemoteSettings, kinds: readonly SyncRemoteKind[]): SyncRemote {
  const kind = kinds.find((k) => k.matches(settings.url));
  if (kind === undefined) throw new Error(`no sync remote kind for ${settings.url}`); // the table ends with a catch-all
  return kind.create(annex, settings);
}
