// The remotes layer's public face: repositories that hold content, seen from this one.
export type { Remote, RemoteCapabilities, StoreItem, StoreOptions } from './remote.js';
export { ContentNotThereError, RemoteUnavailableError } from './errors.js';
export { openRemotes } from './open.js';
export type { OpenedRemotes, SkippedRemote } from './open.js';
export { gitRemotes, localPath, LOCAL_COST } from './git/git-remotes.js';
export type { GitRemoteConfig } from './git/git-remotes.js';
export { transferLock, TransferInProgressError } from './git/transfer-lock.js';
