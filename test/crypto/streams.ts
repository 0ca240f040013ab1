// Byte sources and sinks for the crypto tests.
import { decryptMessage, encryptMessage } from '../../src/crypto/index.js';

/** `data` as a source of chunks of `size` bytes (so framing meets every chunk boundary). */
export function* chunked(data: Buffer, size = 65536): Generator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

export async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of source) parts.push(Buffer.from(b));
  return Buffer.concat(parts);
}

export const encrypt = (data: Buffer, passphrase: Buffer, chunk?: number) => collect(encryptMessage(chunked(data, chunk), passphrase));
export const decrypt = (message: Buffer, passphrase: Buffer, chunk?: number) => collect(decryptMessage(chunked(message, chunk), passphrase));
