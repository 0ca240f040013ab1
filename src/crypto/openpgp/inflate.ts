// Compressed data packets (RFC 4880 §5.6): gpg compresses with ZIP (raw deflate, RFC 1951) by default, ZLIB
// (RFC 1950) on request. Inflation runs on Node's async zlib (libuv's pool, off the main thread). The input
// is always drained to its end, even after zlib has finished or failed, so that the decryption beneath
// reaches its MDC check; an error from that input outranks zlib's complaint about the garbage it produced.
import { createInflate, createInflateRaw } from 'node:zlib';
import type { Inflate, InflateRaw } from 'node:zlib';
import { FerryError } from '../../util/index.js';
import { MalformedMessageError, UnsupportedPacketError } from '../errors.js';
import { COMPRESSION } from './algorithms.js';

const CHUNK = 256 << 10;

export async function* inflateBlocks(input: AsyncIterable<Buffer>, algorithm: number): AsyncGenerator<Buffer> {
  if (algorithm === COMPRESSION.none) {
    yield* input;
    return;
  }
  if (algorithm === COMPRESSION.bzip2) {
    throw new UnsupportedPacketError('BZIP2-compressed data (compression algorithm 3) is not supported', { data: { compression: 3 } });
  }
  if (algorithm !== COMPRESSION.zip && algorithm !== COMPRESSION.zlib) {
    throw new UnsupportedPacketError(`compression algorithm ${algorithm} is not supported`, { data: { compression: algorithm } });
  }
  // Buffers of a few blocks on both sides let decryption (this thread) run ahead while zlib inflates (libuv's).
  const options = { chunkSize: CHUNK, writableHighWaterMark: 4 * CHUNK, readableHighWaterMark: 4 * CHUNK };
  const z = algorithm === COMPRESSION.zip ? createInflateRaw(options) : createInflate(options);
  let stopped = false;
  const pump = feed(z, input, () => stopped);
  pump.catch(() => undefined); // awaited below; this only keeps an early failure from being "unhandled"
  try {
    for await (const out of z) yield out as Buffer;
  } catch (err) {
    await pump; // throws the input's own error (an MDC failure) if there is one
    if (err instanceof FerryError) throw err;
    throw new MalformedMessageError(`the compressed data is corrupt (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  } finally {
    stopped = true;
    z.destroy();
  }
  await pump;
}

/** Writes the input into zlib with backpressure; once zlib is gone, reads the rest of the input unused. */
async function feed(z: Inflate | InflateRaw, input: AsyncIterable<Buffer>, stopped: () => boolean): Promise<void> {
  try {
    for await (const b of input) {
      if (stopped()) return;
      if (z.destroyed || z.writableEnded) continue;
      if (!z.write(b)) await drained(z);
    }
    if (!z.destroyed) z.end();
  } catch (err) {
    z.destroy(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
}

function drained(z: Inflate | InflateRaw): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      z.off('drain', done).off('close', done).off('error', done).off('end', done);
      resolve();
    };
    z.on('drain', done).on('close', done).on('error', done).on('end', done);
  });
}
