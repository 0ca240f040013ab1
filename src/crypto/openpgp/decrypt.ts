// Reads a symmetrically encrypted OpenPGP message (RFC 4880 §11.3) as gpg --symmetric writes it for
// git-annex: [marker] SKESK v4, SEIPD v1 holding [compressed] literal data and an MDC. Streams, with memory
// flat in the message size. Key derivation starts as soon as the SKESK has been read, on the S2K pool, when
// the stream is created rather than when it is first read: a caller that opens the next object's stream
// early overlaps its derivation with this object's decryption.
//
// Plaintext flows before the MDC at the end is checked: the stream then fails with IntegrityError at its end
// (see cfb-decryptor.ts), and the caller must discard what it wrote.
import { createDecipheriv } from 'node:crypto';
import { Readable } from 'node:stream';
import { FerryError } from '../../util/index.js';
import { MalformedMessageError, UnsupportedPacketError, WrongPassphraseError } from '../errors.js';
import { BLOCK, cipherAlgorithm } from './algorithms.js';
import type { CipherAlgorithm } from './algorithms.js';
import { ByteReader } from './byte-reader.js';
import type { ByteSource } from './byte-reader.js';
import { CfbMdcDecryptor } from './cfb-decryptor.js';
import { mdcHash } from './hash-thread.js';
import { inflateBlocks } from './inflate.js';
import { Tag, bodyBlocks, packetName, readPacketHeader } from './packets.js';
import type { BodyState } from './packets.js';
import { parseS2k } from './s2k.js';
import { sharedS2kPool } from './s2k-pool.js';
import type { S2kPool } from './s2k-pool.js';

export interface DecryptOptions {
  /** Where S2K derivations run; the process's shared pool by default. */
  readonly pool?: S2kPool;
}

/** Bodies are handled in blocks of this size, whatever their framing (packets.ts). */
const BLOCK_SIZE = 1 << 20;
/** Session-key packets and markers are small; a bigger one is not what it claims. */
const SMALL_PACKET = 4096;

/** An error of the caller's source (disk, network): passed on unchanged, never called a bad message. */
class SourceFailure extends Error {}

export function decryptStream(source: ByteSource, passphrase: Uint8Array, opts: DecryptOptions = {}): Readable {
  return Readable.from(decryptMessage(source, passphrase, opts), { objectMode: false });
}

export function decryptMessage(source: ByteSource, passphrase: Uint8Array, opts: DecryptOptions = {}): AsyncGenerator<Buffer> {
  const r = new ByteReader(guarded(source));
  const opened = openMessage(r, Uint8Array.from(passphrase), opts.pool ?? sharedS2kPool());
  opened.catch(() => undefined); // awaited by readPlaintext; a stream never read must not crash the process
  return readPlaintext(r, opened);
}

async function* guarded(source: ByteSource): AsyncGenerator<Uint8Array> {
  try {
    yield* source;
  } catch (err) {
    throw new SourceFailure('source failed', { cause: err });
  }
}

interface Opened {
  readonly algorithm: CipherAlgorithm;
  readonly key: Buffer;
  readonly body: BodyState;
}

interface Skesk {
  readonly algorithm: CipherAlgorithm;
  readonly key: Promise<Buffer>;
  readonly encryptedSessionKey: Buffer;
}

/** Reads up to the start of the SEIPD ciphertext and returns its key (§11.3 message grammar). */
async function openMessage(r: ByteReader, passphrase: Uint8Array, pool: S2kPool): Promise<Opened> {
  let skesk: Skesk | undefined;
  let publicKey = false;
  for (;;) {
    const h = await readPacketHeader(r);
    if (h === undefined) {
      throw new MalformedMessageError(skesk || publicKey ? 'the message ends before its encrypted data (truncated)' : 'the object is empty, not an OpenPGP message');
    }
    switch (h.tag) {
      case Tag.marker:
        await smallBody(r, h.body, 'marker packet');
        continue;
      case Tag.pkesk:
        publicKey = true;
        await smallBody(r, h.body, 'public-key session key packet');
        continue;
      case Tag.skesk: {
        const body = await smallBody(r, h.body, 'symmetric session key packet');
        skesk ??= startSkesk(body, passphrase, pool);
        continue;
      }
      case Tag.sed:
        throw new UnsupportedPacketError(`${packetName(h.tag)} is refused: it cannot be checked for tampering`, { data: { packet: h.tag } });
      case Tag.aead:
        throw new UnsupportedPacketError(`${packetName(h.tag)} (OCB/EAX) is not supported`, { data: { packet: h.tag } });
      case Tag.seipd: {
        // §5.13: a version octet starts the body; version 2 is RFC 9580's AEAD form.
        const version = await readVersion(r, h.body);
        if (version !== 1) throw new UnsupportedPacketError(`SEIPD version ${version} (AEAD) is not supported`, { data: { packet: h.tag, version } });
        if (skesk === undefined) {
          if (publicKey) throw new UnsupportedPacketError('the object is encrypted to a public key (hybrid/pubkey), not with a shared cipher', { data: { packet: Tag.pkesk } });
          throw new MalformedMessageError('the encrypted data has no session key packet before it');
        }
        const s2kKey = await skesk.key;
        if (skesk.encryptedSessionKey.length === 0) return { algorithm: skesk.algorithm, key: s2kKey, body: h.body };
        return { ...sessionKey(skesk.algorithm, s2kKey, skesk.encryptedSessionKey), body: h.body };
      }
      default:
        throw new MalformedMessageError(`not an encrypted message: found a ${packetName(h.tag)} packet first`, { data: { packet: h.tag } });
    }
  }
}

/** §5.3 SKESK: version 4, cipher, S2K, optional encrypted session key. Starts deriving the key at once. */
function startSkesk(body: Buffer, passphrase: Uint8Array, pool: S2kPool): Skesk {
  const version = body[0];
  if (version === 5 || version === 6) {
    throw new UnsupportedPacketError(`SKESK version ${version} (AEAD/OCB, as gpg 2.3+ may write) is not supported`, { data: { packet: Tag.skesk, version } });
  }
  if (version !== 4 || body.length < 4) throw new MalformedMessageError(`symmetric session key packet version ${version ?? 'missing'} is not 4`, { data: { packet: Tag.skesk } });
  const algorithm = cipherAlgorithm(body[1]!);
  const { spec, end } = parseS2k(body, 2);
  const key = pool.derive(spec, passphrase, algorithm.keyLength);
  key.catch(() => undefined); // awaited when the encrypted data arrives; may be abandoned on an earlier error
  return { algorithm, key, encryptedSessionKey: body.subarray(end) };
}

/** §5.3: the session key is the S2K key's CFB decryption (zero IV) of algorithm octet || key. */
function sessionKey(kekAlgorithm: CipherAlgorithm, kek: Buffer, esk: Buffer): { algorithm: CipherAlgorithm; key: Buffer } {
  const d = createDecipheriv(kekAlgorithm.cfb, kek, Buffer.alloc(BLOCK));
  const plain = Buffer.concat([d.update(esk), d.final()]);
  let algorithm: CipherAlgorithm;
  try {
    algorithm = cipherAlgorithm(plain[0]!);
  } catch {
    throw new WrongPassphraseError(); // a wrong key decrypts the algorithm octet to noise
  }
  if (plain.length - 1 !== algorithm.keyLength) throw new WrongPassphraseError();
  return { algorithm, key: plain.subarray(1) };
}

async function* readPlaintext(r: ByteReader, opened: Promise<Opened>): AsyncGenerator<Buffer> {
  let inner: ByteReader | undefined;
  try {
    const { algorithm, key, body } = await opened;
    inner = new ByteReader(decrypted(r, body, algorithm, key));
    try {
      yield* packetsInside(inner, 0);
    } catch (err) {
      // A tampered block decrypts to garbage that fails parsing (or zlib) first; reading on to the MDC names
      // the real cause. A packet we do not support is reported as it is, without reading the rest.
      if (err instanceof MalformedMessageError) while (await inner.fill()) inner.take(Infinity);
      throw err;
    }
    await expectEnd(r);
  } catch (err) {
    if (err instanceof SourceFailure) throw err.cause;
    if (err instanceof FerryError) throw err;
    throw new MalformedMessageError(`the encrypted object could not be read: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    await inner?.close();
    await r.close();
  }
}

async function* decrypted(r: ByteReader, body: BodyState, algorithm: CipherAlgorithm, key: Buffer): AsyncGenerator<Buffer> {
  const mdc = mdcHash(body.partial ? Infinity : body.remaining);
  try {
    const decryptor = new CfbMdcDecryptor(algorithm, key, mdc);
    for await (const block of bodyBlocks(r, body, BLOCK_SIZE, 'encrypted data')) {
      yield* decryptor.update(block);
      if (decryptor.backpressure !== undefined) {
        await decryptor.backpressure;
        decryptor.backpressure = undefined;
      }
    }
    await decryptor.final();
  } finally {
    mdc.drop();
  }
}

/** §11.3 inside the encryption: a literal packet, possibly in one compressed packet, markers allowed. */
async function* packetsInside(r: ByteReader, depth: number): AsyncGenerator<Buffer> {
  let seen = false;
  for (let h = await readPacketHeader(r); h !== undefined; h = await readPacketHeader(r)) {
    if (h.tag === Tag.marker) {
      await smallBody(r, h.body, 'marker packet');
      continue;
    }
    if (h.tag === Tag.onePassSignature || h.tag === Tag.signature) {
      throw new UnsupportedPacketError(`signed messages are not read (found a ${packetName(h.tag)})`, { data: { packet: h.tag } });
    }
    if (seen || (h.tag !== Tag.literal && h.tag !== Tag.compressed) || (h.tag === Tag.compressed && depth > 0)) {
      throw new MalformedMessageError(`unexpected ${packetName(h.tag)} inside the encrypted data`, { data: { packet: h.tag } });
    }
    seen = true;
    const body = new ByteReader(bodyBlocks(r, h.body, BLOCK_SIZE, packetName(h.tag), false));
    if (h.tag === Tag.compressed) {
      const algorithm = (await body.readExact(1, 'the compressed data header'))[0]!;
      yield* packetsInside(new ByteReader(inflateBlocks(body.rest(), algorithm)), depth + 1);
    } else {
      // §5.9: format octet, file name (length-prefixed), 4-octet date, then the data.
      const head = await body.readExact(2, 'the literal data header');
      await body.readExact(head[1]! + 4, 'the literal data header');
      yield* body.rest();
    }
  }
  if (!seen) throw new MalformedMessageError('the encrypted data holds no literal data packet');
}

/** After the encrypted data: nothing, or markers. */
async function expectEnd(r: ByteReader): Promise<void> {
  for (let h = await readPacketHeader(r); h !== undefined; h = await readPacketHeader(r)) {
    if (h.tag !== Tag.marker) throw new MalformedMessageError(`unexpected ${packetName(h.tag)} after the encrypted data`, { data: { packet: h.tag } });
    await smallBody(r, h.body, 'marker packet');
  }
}

/** A whole body of a small packet. */
async function smallBody(r: ByteReader, state: BodyState, what: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const b of bodyBlocks(r, state, SMALL_PACKET + 1, what)) {
    parts.push(Buffer.from(b));
    size += b.length;
    if (size > SMALL_PACKET) throw new MalformedMessageError(`the ${what} is implausibly large`, { data: { size } });
  }
  return Buffer.concat(parts);
}

/** The SEIPD body's version octet; `state` is left describing the rest of the body. */
async function readVersion(r: ByteReader, state: BodyState): Promise<number> {
  if (state.remaining === 0) throw new MalformedMessageError('the encrypted data packet is empty');
  const b = await r.readExact(1, 'the encrypted data packet');
  state.remaining -= 1;
  return b[0]!;
}
