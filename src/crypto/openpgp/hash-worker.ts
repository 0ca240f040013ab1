// The thread behind hash-thread.ts: SHA-1 states by stream id, fed with data copied into transferred slabs.
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

export type HashRequest =
  | { readonly id: number; readonly op: 'update'; readonly slab: ArrayBuffer; readonly length: number }
  | { readonly id: number; readonly op: 'digest' }
  | { readonly id: number; readonly op: 'drop' };

export type HashReply =
  | { readonly id: number; readonly hashed: number; readonly slab: ArrayBuffer }
  | { readonly id: number; readonly digest: Uint8Array };

const states = new Map<number, Hash>();

parentPort?.on('message', (req: HashRequest) => {
  if (req.op === 'drop') {
    states.delete(req.id);
    return;
  }
  let h = states.get(req.id);
  if (h === undefined) states.set(req.id, (h = createHash('sha1')));
  if (req.op === 'update') {
    h.update(new Uint8Array(req.slab, 0, req.length));
    // The slab goes back to be reused: nothing is allocated per piece on either side.
    parentPort!.postMessage({ id: req.id, hashed: req.length, slab: req.slab } satisfies HashReply, [req.slab]);
  } else {
    states.delete(req.id);
    parentPort!.postMessage({ id: req.id, digest: h.digest() } satisfies HashReply);
  }
});
