// A port for servers that cannot be told to pick their own (mosquitto, prosody): STYLE 13's OS-assigned port.
import { createServer } from 'node:net';

/** A port the OS just handed out on 127.0.0.1 (free a moment ago; the caller retries if it is taken). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address for the probe socket');
  return address.port;
}
