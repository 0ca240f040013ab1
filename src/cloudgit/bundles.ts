// Bundles in the store (docs/cloudgit-format.md "Bundles"): a git bundle, padded and sealed under the bundle
// key, named by the hash of its sealed bytes. Upload seals through a temp file (so a retry can resend it and
// the name is known before the put); download checks the name's hash and the seal before a byte reaches git.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OpenStream, SealStream } from '../crypto/index.js';
import { checkpoint } from '../util/index.js';
import type { CloudContext } from './context.js';
import { CloudRefusedError } from './errors.js';
import { bundleId, sealContext } from './keys.js';
import { paddedSize } from './manifest.js';
import type { BundleEntry } from './manifest.js';

/** Passes bytes through while hashing them. */
class Hashing extends Transform {
  readonly hash = createHash('sha256');

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    done(null, chunk);
  }
}

export function tempPath(cx: CloudContext, what: string): string {
  return join(cx.state.tmp, `${what}-${randomBytes(8).toString('hex')}`);
}

/** Seals the plain bundle at `path` and puts it; durable in the store when this resolves. */
export async function uploadBundle(cx: CloudContext, path: string): Promise<BundleEntry> {
  const plainSize = (await stat(path)).size;
  const sealed = tempPath(cx, 'sealed');
  try {
    const hashing = new Hashing();
    await pipeline(
      createReadStream(path),
      new SealStream(cx.keys.bundle, sealContext('bundle', cx.uuid), plainSize, paddedSize(plainSize)),
      hashing,
      createWriteStream(sealed),
    );
    const id = bundleId(hashing.hash);
    const size = (await stat(sealed)).size;
    await cx.store.put(cx.names.bundle(id), { path: sealed }, { progress: (bytes) => checkpoint('cloudgit-bundle-progress', String(bytes)) });
    checkpoint('cloudgit-bundle-put', id);
    await cx.store.flush();
    return { id, size, peer: cx.peer };
  } finally {
    await rm(sealed, { force: true });
  }
}

/**
 * Downloads bundle `entry` to a temp file and returns its path, once the sealed bytes hash to its id and the
 * seal opens. Throws StoreNotFoundError when the store does not have it, CloudRefusedError when it is bad.
 */
export async function downloadBundle(cx: CloudContext, entry: BundleEntry): Promise<string> {
  const what = `bundle ${entry.id} of peer ${entry.peer.slice(0, 8)}`;
  const plain = tempPath(cx, 'bundle');
  const source = await cx.store.get(cx.names.bundle(entry.id));
  const hashing = new Hashing();
  try {
    await pipeline(source, hashing, new OpenStream(cx.keys.bundle, sealContext('bundle', cx.uuid), what), createWriteStream(plain));
  } catch (err) {
    await rm(plain, { force: true });
    if (err instanceof CloudRefusedError || !(err instanceof Error) || err.name !== 'SealError') throw err;
    const reason = err.message.startsWith(`${what}: `) ? err.message.slice(what.length + 2) : err.message;
    throw new CloudRefusedError(`${what}: refused: ${reason}`, { cause: err, data: { bundle: entry.id } });
  }
  if (bundleId(hashing.hash) !== entry.id) {
    await rm(plain, { force: true });
    throw new CloudRefusedError(`${what}: refused: its bytes do not hash to its name (the store swapped or altered it)`, { data: { bundle: entry.id } });
  }
  checkpoint('cloudgit-bundle-downloaded', entry.id);
  return plain;
}
