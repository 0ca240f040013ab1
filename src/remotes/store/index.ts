// The Store layer's public face: the interface and its errors, the backends, and wrapStore.
export { StoreNotFoundError, StorePermanentError, StoreTransientError, isTransient } from './store.js';
export type { GetOptions, PutOptions, PutSource, Store, StoreCapabilities, StoreEntry, StoreStat } from './store.js';
export { DirectoryStore } from './directory.js';
export { FaultyStore, LimitStore, RetryStore, wrapStore } from './wrap/index.js';
export type { FaultCounts, FaultOptions, RetryOptions, WrapOptions } from './wrap/index.js';
export type { S3Store, S3StoreOptions } from './s3.js';
export { openS3Store } from './s3-open.js';
export { annexCredsFile, decodeCredPair, encodeCredPair, resolveS3Credentials, writeAnnexCreds } from './s3-credentials.js';
export type { S3Credentials } from './s3-credentials.js';
