// util's public face: small pieces every layer uses. Nothing here imports from the rest of src/.
export { FerryError, UsageError, FileSystemError, ExitCode, fileSystemError, systemErrorCode, isNotFound, errorMessage } from './errors.js';
export type { FerryErrorOptions } from './errors.js';
export { setLogSink, warn, debug } from './log.js';
export type { LogLevel, LogSink } from './log.js';
export { lockExclusive, lockShared, withLock, lockHolder, lockStillNamesPath, locksAvailable, locksUnavailableReason, syncFileSystem, LockBusyError, LocksUnavailableError } from './locks.js';
export type { Lock, LockOptions } from './locks.js';
export { writeFileAtomic } from './atomic.js';
export type { AtomicWriteOptions } from './atomic.js';
export { DurableBatch, fsyncPath } from './durable.js';
export { mapPool } from './pool.js';
export { checkpoint, tracing } from './trace.js';
export { parseSize, formatSize, formatSizeShort } from './size.js';
export { withFileLock } from './fallback-lock.js';
export { decodeLossless, encodeLossless } from './text.js';
