// util's public face: small pieces every layer uses. Nothing here imports from the rest of src/.
export { FerryError, UsageError, FileSystemError, ExitCode, fileSystemError, systemErrorCode, isNotFound, errorMessage } from './errors.js';
export type { FerryErrorOptions } from './errors.js';
export { setLogSink, warn, debug } from './log.js';
export type { LogLevel, LogSink } from './log.js';
