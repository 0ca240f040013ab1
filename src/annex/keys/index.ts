// The keys folder's face: keys and their serialization, file names and hash directories, backends, and
// hashing files into keys (annex-format.md §1).
export { parseKey, parseKeyOrThrow, formatKey, nonChunkKey, chunkKey, isChunkKey } from './key.js';
export type { Key } from './key.js';
export { keyFile, fileKey } from './key-file.js';
export { hashDirLower, hashDirMixed } from './hash-dirs.js';
export { selectExtension, DEFAULT_MAX_EXTENSION_LENGTH } from './extension.js';
export { wormName } from './worm.js';
export {
  DEFAULT_BACKEND, backendByName, isKnownBackend, knownBackends, keyFromDigest, wormKey, digestOfKey,
} from './backends.js';
export type { Backend } from './backends.js';
export { keyForFile, hashFile, verifyKey, sameFileState } from './hash-file.js';
export type { HashedFile, HashOptions, KeyForFileOptions } from './hash-file.js';
export { BadKeyError, UnknownBackendError, UnusableBackendError, FileChangedError } from './errors.js';
