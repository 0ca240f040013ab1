// Authenticated sealing of ferry's own cloud objects (docs/cloudgit-format.md "Sealing"): keys derived from a
// repository secret with HKDF-SHA256 (RFC 5869) under distinct labels, and AES-256-GCM over 1 MiB segments in
// the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015): each segment's nonce is its counter and a
// "last" flag, so a reordered, dropped, truncated or extended segment fails authentication, and a reader can
// release each segment once its tag checks without holding the whole object in memory.
//
// Sealed object = header (magic "FSEAL", version 1, 32-byte random salt) ‖ segments. Each segment is
// AES-256-GCM(objectKey, nonce = counter (u64 BE) ‖ 00 00 00 ‖ last (00|01), ad = header ‖ context) of up to
// SEGMENT plaintext bytes, followed by its 16-byte tag; objectKey = HKDF(key, salt, "ferry seal v1 object").
// The plaintext is framed as length (u64 BE) ‖ payload ‖ zero padding, so the size on the store is the padded
// size, and the context (who the object is for: its role and remote) is authenticated but never stored.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { SealError } from './errors.js';

const MAGIC = Buffer.from('FSEAL\x01', 'latin1');
const SALT_BYTES = 32;
export const SEAL_HEADER_BYTES = MAGIC.length + SALT_BYTES;
/** Plaintext bytes per segment: large enough that per-segment overhead is noise, small enough to buffer. */
export const SEGMENT = 1 << 20;
const TAG_BYTES = 16;
const LENGTH_BYTES = 8;

/** A 32-byte key for `label`, derived from `secret` (HKDF-SHA256, RFC 5869 §2; salt fixed, label as info). */
export function deriveKey(secret: Uint8Array, label: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'ferry key derivation v1', label, 32));
}

/** The size a payload of `size` bytes takes once sealed, padded to `paddedSize` (≥ size) bytes. */
export function sealedSize(paddedSize: number): number {
  const plain = LENGTH_BYTES + paddedSize;
  const segments = Math.max(1, Math.ceil(plain / SEGMENT));
  return SEAL_HEADER_BYTES + plain + segments * TAG_BYTES;
}

function nonce(counter: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.writeBigUInt64BE(BigInt(counter), 0);
  n[11] = last ? 1 : 0;
  return n;
}

function objectKey(key: Uint8Array, salt: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', key, salt, 'ferry seal v1 object', 32));
}

/**
 * Seals a payload of exactly `size` bytes, padded with zeros to `paddedSize`. Pipe the payload in; the sealed
 * object comes out. Memory: one segment. Fails the stream when the payload's length differs from `size`.
 */
export class SealStream extends Transform {
  readonly #key: Buffer;
  readonly #ad: Buffer;
  readonly #size: number;
  readonly #paddedSize: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #received = 0;
  #counter = 0;
  #header: Buffer | undefined;

  constructor(key: Uint8Array, context: Uint8Array, size: number, paddedSize = size) {
    super();
    if (paddedSize < size) throw new RangeError(`padded size ${paddedSize} is below the payload size ${size}`);
    const salt = randomBytes(SALT_BYTES);
    const header = Buffer.concat([MAGIC, salt]);
    this.#key = objectKey(key, salt);
    this.#ad = Buffer.concat([header, context]);
    this.#size = size;
    this.#paddedSize = paddedSize;
    this.#header = header;
    const length = Buffer.alloc(LENGTH_BYTES);
    length.writeBigUInt64BE(BigInt(size));
    this.#add(length);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#pushHeader();
    this.#received += chunk.length;
    if (this.#received > this.#size) {
      done(new RangeError(`sealing: the payload is longer than the ${this.#size} bytes announced`));
      return;
    }
    this.#add(chunk);
    done();
  }

  override _flush(done: TransformCallback): void {
    this.#pushHeader();
    if (this.#received !== this.#size) {
      done(new RangeError(`sealing: the payload ended after ${this.#received} of ${this.#size} bytes`));
      return;
    }
    let padding = this.#paddedSize - this.#size;
    while (padding > 0) {
      const n = Math.min(padding, SEGMENT);
      this.#add(Buffer.alloc(n));
      padding -= n;
    }
    this.#seal(Buffer.concat(this.#pending), true);
    done();
  }

  #pushHeader(): void {
    if (this.#header === undefined) return;
    this.push(this.#header);
    this.#header = undefined;
  }

  /** Keeps at least one byte back, so the segment that turns out to be last is sealed as last. */
  #add(bytes: Buffer): void {
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
    while (this.#pendingBytes > SEGMENT) {
      const all = Buffer.concat(this.#pending);
      this.#seal(all.subarray(0, SEGMENT), false);
      this.#pending = [all.subarray(SEGMENT)];
      this.#pendingBytes = all.length - SEGMENT;
    }
  }

  #seal(plain: Buffer, last: boolean): void {
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce(this.#counter++, last));
    cipher.setAAD(this.#ad);
    this.push(Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]));
  }
}

/**
 * Opens a sealed object: pipe its bytes in, the payload comes out, each segment only once its tag checks.
 * A wrong key or context, or any changed, moved, missing or added byte fails the stream with SealError
 * (nothing of a bad segment is released; the consumer must drop what an errored stream gave it).
 */
export class OpenStream extends Transform {
  readonly #key: Uint8Array;
  readonly #context: Uint8Array;
  readonly #what: string;
  #header: Buffer | undefined;
  #objectKey: Buffer | undefined;
  #ad: Buffer | undefined;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #counter = 0;
  #remaining: bigint | undefined;

  /** `what` names the object in errors ("manifest of peer 1f3a…"). */
  constructor(key: Uint8Array, context: Uint8Array, what: string) {
    super();
    this.#key = key;
    this.#context = context;
    this.#what = what;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.#pending.push(chunk);
      this.#pendingBytes += chunk.length;
      if (this.#header === undefined && this.#pendingBytes >= SEAL_HEADER_BYTES) this.#readHeader();
      // A full segment is known not to be the last only once a byte after it has arrived.
      while (this.#header !== undefined && this.#pendingBytes > SEGMENT + TAG_BYTES) {
        const all = Buffer.concat(this.#pending);
        this.#open(all.subarray(0, SEGMENT + TAG_BYTES), false);
        this.#pending = [all.subarray(SEGMENT + TAG_BYTES)];
        this.#pendingBytes = all.length - SEGMENT - TAG_BYTES;
      }
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (this.#header === undefined) throw new SealError(`${this.#what}: ${this.#pendingBytes} bytes is too short to be a sealed object`);
      if (this.#pendingBytes < TAG_BYTES) throw new SealError(`${this.#what}: the sealed object is cut short`);
      this.#open(Buffer.concat(this.#pending), true);
      if (this.#remaining !== 0n) throw new SealError(`${this.#what}: the sealed object is cut short`);
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  #readHeader(): void {
    const all = Buffer.concat(this.#pending);
    const header = all.subarray(0, SEAL_HEADER_BYTES);
    if (!header.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new SealError(`${this.#what}: not a ferry sealed object (or a format version this ferry does not read)`);
    }
    this.#header = Buffer.from(header);
    this.#objectKey = objectKey(this.#key, header.subarray(MAGIC.length));
    this.#ad = Buffer.concat([this.#header, this.#context]);
    this.#pending = [all.subarray(SEAL_HEADER_BYTES)];
    this.#pendingBytes = all.length - SEAL_HEADER_BYTES;
  }

  #open(segment: Buffer, last: boolean): void {
    const decipher = createDecipheriv('aes-256-gcm', this.#objectKey!, nonce(this.#counter++, last));
    decipher.setAAD(this.#ad!);
    decipher.setAuthTag(segment.subarray(segment.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(segment.subarray(0, segment.length - TAG_BYTES)), decipher.final()]);
    } catch (err) {
      throw new SealError(`${this.#what}: authentication failed (changed bytes, a wrong secret, or an object that belongs elsewhere)`, { cause: err });
    }
    if (this.#remaining === undefined) {
      if (plain.length < LENGTH_BYTES) throw new SealError(`${this.#what}: the sealed object is cut short`);
      this.#remaining = plain.readBigUInt64BE(0);
      plain = plain.subarray(LENGTH_BYTES);
    }
    const take = this.#remaining < BigInt(plain.length) ? Number(this.#remaining) : plain.length;
    if (take > 0) this.push(plain.subarray(0, take));
    this.#remaining -= BigInt(take);
  }
}

/** Seals small bytes in memory (manifests). */
export function sealBytes(key: Uint8Array, context: Uint8Array, payload: Uint8Array, paddedSize = payload.length): Buffer {
  return collect(new SealStream(key, context, payload.length, paddedSize), payload);
}

/** Opens small sealed bytes in memory; throws SealError as OpenStream does. */
export function openBytes(key: Uint8Array, context: Uint8Array, sealed: Uint8Array, what: string): Buffer {
  return collect(new OpenStream(key, context, what), sealed);
}

/** Runs a seal/open transform over bytes in memory; its work is synchronous, so this returns at once. */
function collect(stream: SealStream | OpenStream, input: Uint8Array): Buffer {
  const out: Buffer[] = [];
  let failure: Error | null | undefined;
  const done = (err?: Error | null): void => {
    failure ??= err;
  };
  stream.push = (chunk: unknown): boolean => {
    if (chunk !== null) out.push(chunk as Buffer);
    return true;
  };
  stream._transform(Buffer.from(input.buffer, input.byteOffset, input.byteLength), 'binary', done);
  if (!failure) stream._flush(done);
  if (failure) throw failure;
  return Buffer.concat(out);
}
