// A worker thread of the S2K pool (s2k-pool.ts): derives one key per message, off the main thread.
import { parentPort } from 'node:worker_threads';
import { deriveKeySync } from './s2k.js';
import type { S2kSpec } from './s2k.js';

export interface S2kRequest {
  readonly id: number;
  readonly spec: { mode: 0 | 1 | 3; hash: number; salt: Uint8Array; count: number };
  readonly passphrase: Uint8Array;
  readonly keyLength: number;
}

export type S2kReply = { readonly id: number; readonly key: Uint8Array } | { readonly id: number; readonly error: string };

parentPort?.on('message', (req: S2kRequest) => {
  try {
    const spec: S2kSpec = { ...req.spec, salt: Buffer.from(req.spec.salt) };
    const key = deriveKeySync(spec, req.passphrase, req.keyLength);
    parentPort!.postMessage({ id: req.id, key } satisfies S2kReply);
  } catch (err) {
    parentPort!.postMessage({ id: req.id, error: err instanceof Error ? err.message : String(err) } satisfies S2kReply);
  }
});
