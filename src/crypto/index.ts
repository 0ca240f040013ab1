// crypto's public face: git-annex's shared cipher and object names, and OpenPGP symmetric messages as gpg
// writes them for `encryption=shared` (annex-format.md §6), read and written in-process.
export { SharedCipher, MAC_NAMES, DEFAULT_MAC, isMacName, parseMacName, redactCipher } from './shared-cipher.js';
export type { MacName } from './shared-cipher.js';
export { CipherFormatError, WrongPassphraseError, IntegrityError, UnsupportedPacketError, MalformedMessageError, SealError } from './errors.js';
export { encryptMessage, encryptStream } from './openpgp/encrypt.js';
export { decryptMessage, decryptStream } from './openpgp/decrypt.js';
export type { DecryptOptions } from './openpgp/decrypt.js';
export type { ByteSource } from './openpgp/byte-reader.js';
export { S2kPool } from './openpgp/s2k-pool.js';
export { closeCryptoWorkers } from './openpgp/workers.js';
export { SealStream, OpenStream, sealBytes, openBytes, deriveKey, sealedSize, SEGMENT as SEAL_SEGMENT } from './seal.js';
