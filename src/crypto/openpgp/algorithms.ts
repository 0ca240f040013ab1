// OpenPGP algorithm identifiers (RFC 4880 §9) mapped to what Node's crypto calls them. Only 128-bit block
// ciphers are read: the reader's prefix, quick check and CFB code assume a 16-byte block, and gpg 2.2 never
// picks a 64-bit one for --symmetric.
import { getCiphers, getHashes } from 'node:crypto';
import { UnsupportedPacketError } from '../errors.js';

export interface CipherAlgorithm {
  readonly id: number;
  readonly name: string;
  /** Node's ECB name; CFB is built on it (see cfb-decryptor.ts). */
  readonly ecb: string;
  readonly cfb: string;
  readonly keyLength: number;
}

export const BLOCK = 16;

/** §9.2 symmetric-key algorithms. */
const CIPHERS: Record<number, { name: string; node: string; keyLength: number }> = {
  7: { name: 'AES-128', node: 'aes-128', keyLength: 16 },
  8: { name: 'AES-192', node: 'aes-192', keyLength: 24 },
  9: { name: 'AES-256', node: 'aes-256', keyLength: 32 },
  11: { name: 'Camellia-128', node: 'camellia-128', keyLength: 16 },
  12: { name: 'Camellia-192', node: 'camellia-192', keyLength: 24 },
  13: { name: 'Camellia-256', node: 'camellia-256', keyLength: 32 },
};
const OTHER_CIPHERS: Record<number, string> = { 1: 'IDEA', 2: 'TripleDES', 3: 'CAST5', 4: 'Blowfish', 10: 'Twofish' };

export const AES256 = 9;

export function cipherAlgorithm(id: number): CipherAlgorithm {
  const c = CIPHERS[id];
  if (c !== undefined && getCiphers().includes(`${c.node}-ecb`)) {
    return { id, name: c.name, ecb: `${c.node}-ecb`, cfb: `${c.node}-cfb`, keyLength: c.keyLength };
  }
  const name = c?.name ?? OTHER_CIPHERS[id] ?? `unknown algorithm ${id}`;
  throw new UnsupportedPacketError(`symmetric cipher ${name} is not supported (AES and Camellia are)`, { data: { cipher: id } });
}

/** §9.4 hash algorithms, for S2K. */
const HASHES: Record<number, { name: string; node: string; size: number }> = {
  1: { name: 'MD5', node: 'md5', size: 16 },
  2: { name: 'SHA-1', node: 'sha1', size: 20 },
  3: { name: 'RIPEMD-160', node: 'ripemd160', size: 20 },
  8: { name: 'SHA-256', node: 'sha256', size: 32 },
  9: { name: 'SHA-384', node: 'sha384', size: 48 },
  10: { name: 'SHA-512', node: 'sha512', size: 64 },
  11: { name: 'SHA-224', node: 'sha224', size: 28 },
};

export interface HashAlgorithm {
  readonly id: number;
  readonly name: string;
  readonly node: string;
  readonly size: number;
}

export const SHA256 = 8;

export function hashAlgorithm(id: number): HashAlgorithm {
  const h = HASHES[id];
  if (h !== undefined && getHashes().includes(h.node)) return { id, ...h };
  throw new UnsupportedPacketError(`S2K hash ${h?.name ?? `algorithm ${id}`} is not supported`, { data: { hash: id } });
}

/** §9.3 compression algorithms. */
export const COMPRESSION = { none: 0, zip: 1, zlib: 2, bzip2: 3 } as const;
