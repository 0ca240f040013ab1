// The sealed change notice (docs/notify-format.md): "peer P published manifest seq N at time T", sealed with
// AES-256-GCM under a key derived from the repository secret, on a channel id derived the same way. A
// transport or relay sees a channel id and opaque bytes: it learns neither the repository nor the peer, and
// cannot forge, alter or move a notice to another channel. Replays are not stopped here — a notice is only a
// hint to fetch, and receivers dedupe by (peer, seq) (notify/hub.ts). The relay imports this file alone.
//
// Frame (79 bytes in version 1) = "FN" ‖ version (1) ‖ channel (16) ‖ nonce (12) ‖ AES-256-GCM(body) ‖ tag (16),
// body (32) = peer (16) ‖ seq (u64 BE) ‖ time in ms (u64 BE); associated data = the first 19 bytes.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { deriveKey } from '../crypto/index.js';
import { FerryError } from '../util/index.js';

export const NOTICE_VERSION = 1;
const MAGIC = Buffer.from('FN', 'latin1');
const CHANNEL_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const PEER_BYTES = 16;
const BODY_BYTES = PEER_BYTES + 8 + 8;
const HEADER_BYTES = MAGIC.length + 1 + CHANNEL_BYTES;
/** Every version-1 frame is exactly this long. */
export const FRAME_BYTES = HEADER_BYTES + NONCE_BYTES + BODY_BYTES + TAG_BYTES;
/** What a transport or relay accepts at most (room for later versions); anything longer is dropped unread. */
export const MAX_FRAME_BYTES = 256;
/** The peer of a notice sealed without a cloud git remote (only a special remote's cipher): no manifests to fetch. */
export const NO_PEER = 'none';

/** "Peer P published its manifest number `seq` at `time`." Nothing else travels. */
export interface ChangeNotice {
  /** 32 hex digits (cloudgit's peer id), or NO_PEER. */
  readonly peer: string;
  /** The peer's manifest sequence number: a non-negative safe integer. */
  readonly seq: number;
  /** When it was sent, ms since the epoch, by the sender's clock (shown, never trusted for ordering). */
  readonly time: number;
}

export class NoticeError extends FerryError {
  constructor(reason: string) {
    super(`not a ferry notice: ${reason}`, { data: { reason } });
  }
}

/**
 * What seals and opens one remote's notices: the key and the channel id, both derived from the secret (HKDF
 * with their own labels) and bound to the special remote's uuid, so two remotes sharing a secret share neither.
 */
export class NoticeChannel {
  /** 32 hex digits; the only name transports and relays see. */
  readonly id: string;
  readonly #key: Buffer;
  readonly #names: Buffer;
  readonly #header: Buffer;

  constructor(secret: Uint8Array, uuid: string) {
    this.#names = deriveKey(secret, 'ferry notify v1 names');
    this.#key = deriveKey(secret, `ferry notify v1 seal ${uuid}`);
    const channel = createHmac('sha256', this.#names).update(`channel\0${uuid}`).digest().subarray(0, CHANNEL_BYTES);
    this.id = channel.toString('hex');
    this.#header = Buffer.concat([MAGIC, Buffer.from([NOTICE_VERSION]), channel]);
  }

  /**
   * A short tag of a peer for transports that keep one retained message per topic (MQTT): distinct per peer,
   * meaningless without the secret.
   */
  peerTag(peer: string): string {
    return createHmac('sha256', this.#names).update(`peer\0${peer}`).digest('hex').slice(0, 16);
  }

  seal(notice: ChangeNotice): Buffer {
    checkNotice(notice);
    const body = Buffer.alloc(BODY_BYTES);
    if (notice.peer !== NO_PEER) Buffer.from(notice.peer, 'hex').copy(body, 0);
    body.writeBigUInt64BE(BigInt(notice.seq), PEER_BYTES);
    body.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(notice.time))), PEER_BYTES + 8);
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce).setAAD(this.#header);
    return Buffer.concat([this.#header, nonce, cipher.update(body), cipher.final(), cipher.getAuthTag()]);
  }

  /** The notice in `frame`; throws NoticeError when it is not one of this channel's, or fails authentication. */
  open(frame: Uint8Array): ChangeNotice {
    const bytes = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
    const channel = frameChannel(bytes);
    if (channel === undefined) throw new NoticeError(`a malformed frame of ${bytes.length} bytes`);
    if (bytes[MAGIC.length] !== NOTICE_VERSION) throw new NoticeError(`version ${bytes[MAGIC.length]} (this ferry reads version ${NOTICE_VERSION}; update ferry)`);
    if (channel !== this.id) throw new NoticeError('another channel');
    if (bytes.length !== FRAME_BYTES) throw new NoticeError(`${bytes.length} bytes where version ${NOTICE_VERSION} has ${FRAME_BYTES}`);
    const nonce = bytes.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES);
    const tag = bytes.subarray(FRAME_BYTES - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, nonce).setAAD(bytes.subarray(0, HEADER_BYTES)).setAuthTag(tag);
    let body: Buffer;
    try {
      body = Buffer.concat([decipher.update(bytes.subarray(HEADER_BYTES + NONCE_BYTES, FRAME_BYTES - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new NoticeError('it fails authentication (forged, damaged, or sealed with another secret)');
    }
    const peerBytes = body.subarray(0, PEER_BYTES);
    const seq = body.readBigUInt64BE(PEER_BYTES);
    const time = body.readBigUInt64BE(PEER_BYTES + 8);
    if (seq > BigInt(Number.MAX_SAFE_INTEGER) || time > BigInt(Number.MAX_SAFE_INTEGER)) throw new NoticeError('a sequence number or time out of range');
    return { peer: peerBytes.every((b) => b === 0) ? NO_PEER : peerBytes.toString('hex'), seq: Number(seq), time: Number(time) };
  }
}

/**
 * The channel id a frame is addressed to (32 hex digits), or undefined when it is not a frame at all: too
 * short or long, or without the magic. No key needed: this is all a relay reads.
 */
export function frameChannel(frame: Uint8Array): string | undefined {
  if (frame.length < HEADER_BYTES || frame.length > MAX_FRAME_BYTES) return undefined;
  if (frame[0] !== MAGIC[0] || frame[1] !== MAGIC[1]) return undefined;
  return Buffer.from(frame.buffer, frame.byteOffset + MAGIC.length + 1, CHANNEL_BYTES).toString('hex');
}

function checkNotice(notice: ChangeNotice): void {
  if (notice.peer !== NO_PEER && !/^[0-9a-f]{32}$/.test(notice.peer)) throw new NoticeError(`peer '${notice.peer}' is not 32 hex digits`);
  if (!Number.isSafeInteger(notice.seq) || notice.seq < 0) throw new NoticeError(`seq ${notice.seq} is not a non-negative integer`);
  if (!Number.isFinite(notice.time)) throw new NoticeError(`time ${notice.time} is not a number`);
}
