// Deterministic fixtures, generated for each run rather than stored: sizes from xorshift32, bytes from an
// AES-128-CTR keystream under a key derived from a seed, so every contender and every machine gets the same
// incompressible bytes.
import { createCipheriv, createHash } from 'node:crypto';
import type { Cipher } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** xorshift32: a tiny deterministic generator for sizes and choices. */
export class Xorshift32 {
  private s: number;
  constructor(seed: number) { this.s = (seed >>> 0) || 0x9e3779b9; }
  next(): number {
    let x = this.s;
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return (this.s = x);
  }
  /** An integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + (this.next() % (hi - lo + 1));
  }
}

/**
 * Deterministic pseudo-random bytes: the AES-128-CTR keystream under a key derived from `seed` (fast enough
 * for gigabytes, incompressible, the same on every machine).
 */
export class ByteStream {
  private readonly cipher: Cipher;
  private zeros = Buffer.alloc(0);
  constructor(seed: string) {
    const key = createHash('sha256').update(`ferry-bench:${seed}`).digest().subarray(0, 16);
    this.cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  }
  next(n: number): Buffer {
    if (this.zeros.length < n) this.zeros = Buffer.alloc(n);
    return this.cipher.update(this.zeros.subarray(0, n));
  }
}

export interface SmallTree {
  readonly files: number;
  readonly bytes: number;
}

/** `files` files of 1–4 KiB in directories of 100 (d000/f00000.dat, …), the same bytes for the same seed. */
export function writeSmallTree(dir: string, files: number, seed: number): SmallTree {
  const sizes = new Xorshift32(seed);
  const bytes = new ByteStream(`small-${seed}`);
  let total = 0;
  for (let i = 0; i < files; i++) {
    const sub = join(dir, `d${String(Math.floor(i / 100)).padStart(3, '0')}`);
    if (i % 100 === 0) mkdirSync(sub, { recursive: true });
    const size = sizes.between(1024, 4096);
    writeFileSync(join(sub, `f${String(i).padStart(5, '0')}.dat`), bytes.next(size));
    total += size;
  }
  return { files, bytes: total };
}

/** One file of `size` pseudo-random bytes, written in 8 MiB blocks. */
export function writeLargeFile(path: string, size: number, seed: string): void {
  const bytes = new ByteStream(seed);
  const fd = openSync(path, 'w');
  try {
    for (let done = 0; done < size;) {
      const n = Math.min(8 * 2 ** 20, size - done);
      const block = bytes.next(n);
      for (let off = 0; off < n;) off += writeSync(fd, block, off, n - off);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  chmodSync(path, 0o644);
}
