// Writes a symmetrically encrypted OpenPGP message that gpg 2.2 (and so git-annex) decrypts (RFC 4880
// §11.3): SKESK v4 without an encrypted session key, SEIPD v1 + MDC over one uncompressed binary literal
// packet. Choices (annex-format.md §6.3, issue 12): AES-256; S2K mode 3 with SHA-256 and count byte 0
// (1,024 octets hashed) and a fresh salt per object, since the passphrase is 428 random characters and a
// slow KDF would only cost every reader 68 ms; no compression (content is often already compressed, and
// deflate would be the slowest stage); 1 MiB partial-length parts. Memory stays flat: data passes through
// as slices, one part at a time, uncopied (a source must not reuse a chunk it has yielded; Node streams
// never do).
import { createCipheriv, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { AES256, BLOCK, SHA256, cipherAlgorithm } from './algorithms.js';
import { mdcHash } from './hash-thread.js';
import type { MdcHash } from './hash-thread.js';
import { PartFramer, Tag, encodeLength } from './packets.js';
import type { ByteSource } from './byte-reader.js';
import { decodeCount, deriveKeySync, formatIteratedS2k } from './s2k.js';

const PART = 1 << 20;
const COUNT_BYTE = 0;

/** `size`, when the caller knows it, is the plaintext's length: a message of at most one part hashes inline. */
export function encryptStream(source: ByteSource, passphrase: Uint8Array, size?: number): Readable {
  return Readable.from(encryptMessage(source, passphrase, size), { objectMode: false });
}

export async function* encryptMessage(source: ByteSource, passphrase: Uint8Array, size?: number): AsyncGenerator<Buffer> {
  const algorithm = cipherAlgorithm(AES256);
  const salt = randomBytes(8);
  const key = deriveKeySync({ mode: 3, hash: SHA256, salt, count: decodeCount(COUNT_BYTE) }, passphrase, algorithm.keyLength);

  // §5.3 SKESK v4: version, cipher, S2K specifier; no encrypted session key, so the S2K key is the key.
  const skesk = Buffer.concat([Buffer.from([4, AES256]), formatIteratedS2k(SHA256, salt, COUNT_BYTE)]);
  yield Buffer.concat([newHeader(Tag.skesk), encodeLength(skesk.length), skesk]);

  // §5.13 SEIPD v1: CFB with a zero IV over prefix || packets || MDC packet, no resynchronisation.
  const cipher = createCipheriv(algorithm.cfb, key, Buffer.alloc(BLOCK));
  // The MDC's SHA-1 runs on another thread for messages over one part; which, is known once the literal
  // framer releases its first part, so the first pieces wait (uncopied) in `early`.
  let mdc: MdcHash | undefined;
  const early: Buffer[] = [];
  let wait: Promise<void> | undefined;
  const hash = (b: Buffer) => {
    if (mdc === undefined) early.push(b);
    else wait = mdc.update(b) ?? wait;
  };
  const chooseHash = (size: number) => {
    mdc = mdcHash(size);
    for (const b of early.splice(0)) hash(b);
  };
  // A known small message (a 1 MiB chunk) never starts the thread, nor copies its parts into slabs for it.
  if (size !== undefined && size <= PART) chooseHash(size);
  const seipd = new PartFramer(PART);
  const out: Buffer[] = [newHeader(Tag.seipd)];
  seipd.push(Buffer.from([1]), out);
  const encrypt = (plain: Buffer) => {
    hash(plain);
    seipd.push(cipher.update(plain), out);
  };
  try {
    const prefix = randomBytes(BLOCK + 2);
    prefix[BLOCK] = prefix[BLOCK - 2]!;
    prefix[BLOCK + 1] = prefix[BLOCK - 1]!;
    encrypt(prefix);

    // §5.9 literal data: binary, no file name, date 0 (nothing about the file leaks through the packet).
    const literal = new PartFramer(PART);
    const framed: Buffer[] = [newHeader(Tag.literal)];
    literal.push(Buffer.from([0x62, 0, 0, 0, 0, 0]), framed);
    for await (const chunk of source) {
      literal.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength), framed);
      if (mdc === undefined && literal.parts > 0) chooseHash(Infinity);
      for (const b of framed) encrypt(b);
      framed.length = 0;
      yield* out;
      out.length = 0;
      if (wait !== undefined) {
        await wait;
        wait = undefined;
      }
    }
    literal.end(framed);
    if (mdc === undefined) chooseHash(0);
    for (const b of framed) encrypt(b);

    // §5.14 MDC packet: its header is hashed, then SHA-1 of everything from the prefix on.
    const header = Buffer.from([0xd3, 0x14]);
    hash(header);
    seipd.push(cipher.update(Buffer.concat([header, await mdc!.digest()])), out);
    seipd.push(cipher.final(), out);
    seipd.end(out);
    yield* out;
  } finally {
    mdc?.drop();
  }
}

/** §4.2.2 new-format packet tag octet. */
function newHeader(tag: number): Buffer {
  return Buffer.from([0xc0 | tag]);
}
