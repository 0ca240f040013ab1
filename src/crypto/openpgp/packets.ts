// Packet framing (RFC 4880 §4.2): old and new headers, every length form, and streaming of bodies split in
// partial lengths. Bodies come out coalesced into blocks of a fixed size (1 MiB), whatever the framing:
// gpg cuts its packets into 8 KiB parts, and per-part work downstream (cipher calls, hashing, zlib calls,
// stream hand-offs) would otherwise cost more than the cipher itself.
import { MalformedMessageError } from '../errors.js';
import type { ByteReader } from './byte-reader.js';

/** §4.3 packet tags ferry meets. */
export const Tag = {
  pkesk: 1,
  signature: 2,
  skesk: 3,
  onePassSignature: 4,
  compressed: 8,
  sed: 9,
  marker: 10,
  literal: 11,
  seipd: 18,
  mdc: 19,
  aead: 20,
} as const;

const NAMES: Record<number, string> = {
  1: 'public-key encrypted session key (tag 1)',
  2: 'signature (tag 2)',
  3: 'symmetric-key encrypted session key (tag 3)',
  4: 'one-pass signature (tag 4)',
  5: 'secret key (tag 5)',
  6: 'public key (tag 6)',
  8: 'compressed data (tag 8)',
  9: 'symmetrically encrypted data without integrity protection (tag 9)',
  10: 'marker (tag 10)',
  11: 'literal data (tag 11)',
  18: 'symmetrically encrypted integrity protected data (tag 18)',
  19: 'modification detection code (tag 19)',
  20: 'AEAD encrypted data (tag 20)',
};

export function packetName(tag: number): string {
  return NAMES[tag] ?? `packet tag ${tag}`;
}

/** Where a body stands: bytes left in the current part, and whether more parts follow (§4.2.2.4). */
export interface BodyState {
  remaining: number;
  partial: boolean;
}

export interface PacketHeader {
  readonly tag: number;
  readonly body: BodyState;
}

/** The next packet's header, or undefined at a clean end of the source. */
export async function readPacketHeader(r: ByteReader): Promise<PacketHeader | undefined> {
  const first = await r.readByte();
  if (first === undefined) return undefined;
  if ((first & 0x80) === 0) {
    throw new MalformedMessageError('not an OpenPGP packet (bit 7 of the header is clear; ASCII armor is not read)', {
      data: { offset: r.consumed - 1 },
    });
  }
  if ((first & 0x40) !== 0) return { tag: first & 0x3f, body: await readNewLength(r) };
  // §4.2.1 old format: tag in bits 5–2, length type in bits 1–0; type 3 runs to the end of the enclosing data.
  const tag = (first >> 2) & 0x0f;
  const type = first & 3;
  if (type === 3) return { tag, body: { remaining: Infinity, partial: false } };
  const b = await r.readExact(1 << type, 'a packet header');
  return { tag, body: { remaining: type === 0 ? b[0]! : type === 1 ? b.readUInt16BE(0) : b.readUInt32BE(0), partial: false } };
}

/** §4.2.2 new-format body length, read from the source. */
async function readNewLength(r: ByteReader): Promise<BodyState> {
  const o1 = await r.readExact(1, 'a packet length');
  const first = o1[0]!;
  if (first < 192) return { remaining: first, partial: false };
  if (first < 224) {
    const o2 = (await r.readExact(1, 'a packet length'))[0]!;
    return { remaining: ((first - 192) << 8) + o2 + 192, partial: false };
  }
  if (first === 255) return { remaining: (await r.readExact(4, 'a packet length')).readUInt32BE(0), partial: false };
  return { remaining: 1 << (first & 0x1f), partial: true };
}

/** The same, when the whole length is already buffered; undefined otherwise (the caller then awaits). */
function readNewLengthSync(r: ByteReader): BodyState | undefined {
  const first = r.peekSync();
  if (first === undefined) return undefined;
  if (first < 192) {
    r.take(1);
    return { remaining: first, partial: false };
  }
  if (first >= 224 && first < 255) {
    r.take(1);
    return { remaining: 1 << (first & 0x1f), partial: true };
  }
  const size = first === 255 ? 5 : 2;
  if (r.buffered < size) return undefined;
  const b = r.take(size);
  return size === 2 ? { remaining: ((first - 192) << 8) + b[1]! + 192, partial: false } : { remaining: b.readUInt32BE(1), partial: false };
}

/**
 * Streams a packet body from `state` on, in blocks of exactly `blockSize` bytes except the last (a cipher
 * needs whole blocks). With `exact` false, large source chunks pass through uncopied instead, and only small
 * pieces are coalesced. Stops at the end of the body, leaving the reader at the next packet; an indeterminate
 * body (old format, type 3) runs to the end of the source.
 */
export async function* bodyBlocks(r: ByteReader, state: BodyState, blockSize: number, what: string, exact = true): AsyncGenerator<Buffer> {
  let { remaining, partial } = state;
  let block: Buffer | undefined;
  let fill = 0;
  for (;;) {
    if (remaining === 0) {
      if (!partial) break;
      const next = readNewLengthSync(r) ?? (await readNewLength(r));
      ({ remaining, partial } = next);
      continue;
    }
    if (r.buffered === 0 && !(await r.fill())) {
      if (remaining === Infinity) break;
      throw new MalformedMessageError(`the message ends inside the ${what} (truncated)`, { data: { offset: r.consumed } });
    }
    if (fill === 0 && remaining >= blockSize && r.buffered >= blockSize) {
      yield r.take(blockSize); // already a whole block in one source chunk: no copy
      remaining -= blockSize;
      continue;
    }
    if (!exact && r.buffered >= blockSize / 2) {
      if (fill > 0) yield block!.subarray(0, fill);
      block = undefined;
      fill = 0;
      const piece = r.take(remaining);
      remaining -= piece.length;
      yield piece;
      continue;
    }
    block ??= Buffer.allocUnsafe(blockSize);
    const piece = r.take(Math.min(remaining, blockSize - fill));
    piece.copy(block, fill);
    fill += piece.length;
    remaining -= piece.length;
    if (fill === blockSize) {
      yield block;
      block = undefined;
      fill = 0;
    }
  }
  if (fill > 0) yield block!.subarray(0, fill);
}

/** §4.2.2 new-format definite length. */
export function encodeLength(n: number): Buffer {
  if (n < 192) return Buffer.from([n]);
  if (n < 8384) return Buffer.from([((n - 192) >> 8) + 192, (n - 192) & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = 255;
  b.writeUInt32BE(n, 1);
  return b;
}

/**
 * Frames a body of unknown length for writing: parts of `part` bytes (a power of two ≥ 512, §4.2.2.4) with
 * partial-length headers, and a final definite-length part (possibly empty). Slices are passed through, not
 * copied; a part is only written once more data shows it is not the last.
 */
export class PartFramer {
  readonly #part: number;
  readonly #header: Buffer;
  #pending: Buffer[] = [];
  #size = 0;
  /** Partial parts written so far. */
  parts = 0;

  constructor(part: number) {
    this.#part = part;
    this.#header = Buffer.from([224 + Math.log2(part)]);
  }

  push(data: Buffer, out: Buffer[]): void {
    if (data.length === 0) return;
    this.#pending.push(data);
    this.#size += data.length;
    while (this.#size > this.#part) {
      out.push(this.#header);
      let left = this.#part;
      while (left > 0) {
        const head = this.#pending[0]!;
        if (head.length <= left) {
          out.push(head);
          this.#pending.shift();
          left -= head.length;
        } else {
          out.push(head.subarray(0, left));
          this.#pending[0] = head.subarray(left);
          left = 0;
        }
      }
      this.#size -= this.#part;
      this.parts++;
    }
  }

  end(out: Buffer[]): void {
    out.push(encodeLength(this.#size), ...this.#pending);
    this.#pending = [];
    this.#size = 0;
  }
}
