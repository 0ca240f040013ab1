// The sync layer's public face: what `ferry sync` and (later) the assistant share.
export * from './transfer/index.js';
// `ferry sync` at the git level: commit, pull and merge (variants for conflicting annexed files), push.
export { syncRepository, defaultSyncParts } from './sync.js';
export { defaultCommitMessage } from './commit.js';
export type { SyncOptions, SyncParts, SyncResult } from './sync.js';
export type { SyncEvents, SyncStep, NoteLevel } from './sync-events.js';
export type { SyncRemote, SyncRemoteCapabilities, FetchResult, PushResult, RefPush } from './sync-remote.js';
export type { ContentSync, ContentSyncOptions, ContentSyncResult, ContentAction } from './sync-content.js';
export { SYNC_REMOTE_KINDS } from './remote-kinds.js';
export type { SyncRemoteKind } from './remote-kinds.js';
export { refusedAsCheckedOut } from './git-remote.js';
export { variantPath } from './variant.js';
export { CONFLICT_FIX_MESSAGE } from './merge.js';
export { UnknownRemoteError } from './errors.js';
export { gitRemoteFerry } from './remote-helper.js';
export { adoptCloudOrigins, retargetCloudRemotes } from './cloud-origin.js';
export { cloudGc, cloudGitRemotes } from './cloud-gc.js';
export { openNotify } from './cloud-notify.js';
export type { NotifySession, NotifyOptions } from './cloud-notify.js';
export { encodeJoinCode, decodeJoinCode, JoinCodeError, JOIN_CODE_VERSION } from './join-code.js';
export type { JoinCode } from './join-code.js';
export { createCloud, DEFAULT_CHUNK } from './cloud-create.js';
export type { CloudCreateOptions, CloudCreateResult } from './cloud-create.js';
export { buildJoinCode } from './cloud-code.js';
export { joinCloud } from './cloud-join.js';
export type { JoinOptions, JoinResult } from './cloud-join.js';
export { enableCheckedRemote, WrongCloudError } from './cloud-marker.js';
