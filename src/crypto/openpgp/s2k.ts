// String-to-key specifiers (RFC 4880 §3.7): how a passphrase becomes a cipher key. git-annex's objects use
// mode 3 (iterated and salted) with SHA-1 and gpg's default count of 65,011,712 bytes, and AES-256 needs two
// SHA-1 contexts (§3.7.1.1), so one derivation hashes 130 MB: that is why derivation runs on workers
// (s2k-pool.ts). ferry's own objects use count byte 0 (1,024 bytes) with a fresh salt per object.
import { createHash } from 'node:crypto';
import { MalformedMessageError, UnsupportedPacketError } from '../errors.js';
import { hashAlgorithm } from './algorithms.js';

export interface S2kSpec {
  /** 0 simple, 1 salted, 3 iterated and salted (§3.7.1). */
  readonly mode: 0 | 1 | 3;
  readonly hash: number;
  readonly salt: Buffer;
  /** Octets to hash in mode 3, decoded from the count byte (§3.7.1.3). */
  readonly count: number;
}

/** §3.7.1.3: the coded count byte → number of octets hashed. */
export function decodeCount(c: number): number {
  return (16 + (c & 15)) << ((c >> 4) + 6);
}

/** Reads an S2K specifier from `b` at `at`; returns it and the offset after it. */
export function parseS2k(b: Buffer, at: number): { spec: S2kSpec; end: number } {
  const need = (n: number) => {
    if (at + n > b.length) throw new MalformedMessageError('the S2K specifier is cut short', { data: { packet: 'SKESK' } });
  };
  need(2);
  const mode = b[at]!;
  const hash = b[at + 1]!;
  switch (mode) {
    case 0:
      return { spec: { mode, hash, salt: Buffer.alloc(0), count: 0 }, end: at + 2 };
    case 1:
      need(10);
      return { spec: { mode, hash, salt: Buffer.from(b.subarray(at + 2, at + 10)), count: 0 }, end: at + 10 };
    case 3:
      need(11);
      return { spec: { mode, hash, salt: Buffer.from(b.subarray(at + 2, at + 10)), count: decodeCount(b[at + 10]!) }, end: at + 11 };
    default:
      // 101 is GnuPG's "no secret key here" extension; 2 is reserved.
      throw new UnsupportedPacketError(`S2K mode ${mode} is not supported (0, 1 and 3 are)`, { data: { s2k: mode } });
  }
}

/** Serializes a mode 3 specifier with the given count byte (the writer's only form). */
export function formatIteratedS2k(hash: number, salt: Buffer, countByte: number): Buffer {
  return Buffer.concat([Buffer.from([3, hash]), salt, Buffer.from([countByte])]);
}

/** A hash workload small enough to derive inline rather than post to a worker. */
export function isCheapS2k(spec: S2kSpec, passphraseLength: number, keyLength: number): boolean {
  const octets = spec.mode === 3 ? Math.max(spec.count, spec.salt.length + passphraseLength) : spec.salt.length + passphraseLength;
  return octets * Math.ceil(keyLength / hashAlgorithm(spec.hash).size) <= 1 << 20;
}

/** §3.7.1: the key. Contexts beyond the first are preloaded with 1, 2, ... zero octets. */
export function deriveKeySync(spec: S2kSpec, passphrase: Uint8Array, keyLength: number): Buffer {
  const h = hashAlgorithm(spec.hash);
  const material = Buffer.concat([spec.salt, passphrase]);
  const out: Buffer[] = [];
  for (let ctx = 0, have = 0; have < keyLength; ctx++) {
    const hash = createHash(h.node);
    if (ctx > 0) hash.update(Buffer.alloc(ctx));
    if (spec.mode !== 3 || spec.count <= material.length) hash.update(material);
    else hashRepeated(hash, material, spec.count);
    const digest = hash.digest();
    out.push(digest);
    have += digest.length;
  }
  return Buffer.concat(out).subarray(0, keyLength);
}

/**
 * Feeds `count` octets of salt||passphrase repeated, through a buffer of whole repetitions: ~1 MiB, or just
 * enough for `count` (ferry's own objects' 1,024 octets: a 1 MiB buffer per chunk was a GiB of copying per GiB).
 */
function hashRepeated(hash: ReturnType<typeof createHash>, material: Buffer, count: number): void {
  if (material.length === 0) throw new MalformedMessageError('S2K with an empty salt and passphrase');
  const reps = Math.max(1, Math.min(Math.floor((1 << 20) / material.length), Math.ceil(count / material.length)));
  const block = Buffer.alloc(reps * material.length);
  for (let i = 0; i < reps; i++) material.copy(block, i * material.length);
  let left = count;
  while (left >= block.length) {
    hash.update(block);
    left -= block.length;
  }
  if (left > 0) hash.update(block.subarray(0, left));
}
