// What the notify benchmark's publisher and its client processes (notify-clients.ts) agree on: the channel ids
// (derived from an index, so each process is given only its range), the frames and the cross-process clock.
// A frame has the 79-byte shape of a sealed notice ("FN", version, channel), which is all a relay or a broker
// reads; the bytes where nonce and ciphertext go carry the send time and the notice's index instead.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { FRAME_BYTES, NOTICE_VERSION } from '../src/notify/notice.js';

const HEADER = 3;
const CHANNEL_BYTES = 16;
const SENT_AT = HEADER + CHANNEL_BYTES;
const INDEX = SENT_AT + 8;

/** A channel id (32 hex digits) named by `label`, the same in every process. */
function channel(label: string): string {
  return createHash('sha256').update(`ferry-bench-notify ${label}`).digest('hex').slice(0, CHANNEL_BYTES * 2);
}

/** The channel of the i-th subscriber in the distinct-channel fan-out. */
export function distinctChannel(i: number): string {
  return channel(`distinct ${i}`);
}

/** The channel all subscribers share in the one-channel fan-out. */
export const ONE_CHANNEL = channel('one');

/** The MQTT topic a publisher uses (one peer tag, "x") and the filter subscribers use, as the mqtt transport does. */
export const mqttTopic = (ch: string): string => `ferry/v1/${ch}/x`;
export const mqttFilter = (ch: string): string => `ferry/v1/${ch}/+`;

/**
 * Wall-clock ms with sub-ms precision, comparable across processes on this machine: the realtime clock at
 * process start plus the monotonic time since.
 */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

/** A notice-shaped frame on `ch` carrying `index` and the time it is sent (stamped now). */
export function stampedFrame(ch: string, index: number): Buffer {
  const frame = Buffer.alloc(FRAME_BYTES);
  frame.write('FN', 0, 'latin1');
  frame[2] = NOTICE_VERSION;
  Buffer.from(ch, 'hex').copy(frame, HEADER);
  frame.writeUInt32BE(index, INDEX);
  frame.writeDoubleBE(wallNow(), SENT_AT);
  return frame;
}

/** The index and send time of a frame from stampedFrame, or undefined for anything else. */
export function readStamp(frame: Buffer): { index: number; sentAt: number } | undefined {
  if (frame.length !== FRAME_BYTES || frame.toString('latin1', 0, 2) !== 'FN') return undefined;
  return { index: frame.readUInt32BE(INDEX), sentAt: frame.readDoubleBE(SENT_AT) };
}
