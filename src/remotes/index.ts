// The remotes layer's public face: repositories that hold content, seen from this one.
export type { Remote, RemoteCapabilities, StoreItem, StoreOptions } from './remote.js';
export { ContentNotThereError, MissingChunkError, RemoteReadError, RemoteUnavailableError, worthRetrying } from './errors.js';
export { openRemotes } from './open.js';
export type { OpenedRemotes, SkippedRemote } from './open.js';
export { gitRemotes, localPath, LOCAL_COST } from './git/git-remotes.js';
export type { GitRemoteConfig } from './git/git-remotes.js';
export { transferLock, TransferInProgressError } from './git/transfer-lock.js';
export type { Store, StoreStat, StoreEntry, StoreCapabilities, PutSource, PutOptions, GetOptions } from './store/index.js';
export { StoreNotFoundError, StoreTransientError, StorePermanentError } from './store/index.js';
export { initRemote, enableRemote, renameRemote, autoEnableRemotes, RemoteNameTakenError } from './special/configure.js';
export type { ConfiguredRemote } from './special/configure.js';
export { parseParamWords, redactConfig, BadRemoteConfigError } from './special/config.js';
export { enabledSpecialRemotes } from './special/open.js';
export { specialRemoteRecords, findSpecialRemote, UnknownSpecialRemoteError } from './special/remote-log.js';
export { specialTypeParams } from './special/types/registry.js';
export { specialRemoteFacts, specialFactsOf } from './special/facts.js';
export type { RemoteFacts } from './special/facts.js';
