// Receiving content from elsewhere (another repository, later a cloud remote) into .git/annex/tmp/KEYFILE,
// the partial file git-annex also resumes from: bytes already there are kept (and hashed first), new bytes
// are appended and hashed as they arrive, and the result must match the key before anything may move it
// into the object store. A failed or interrupted transfer leaves the partial file for the next attempt;
// content that does not match its key is deleted, never kept.
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { closeSync, fdatasync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, rmSync, write, writeSync } from 'node:fs';
import { FerryError, checkpoint, fileSystemError, systemErrorCode } from '../util/index.js';
import { backendByName, digestOfKey, parseKeyOrThrow } from './keys/index.js';
import type { AnnexLayout } from './layout.js';

/** Where received bytes go; `offset` is how many bytes the partial file already held. */
export interface Sink {
  readonly offset: number;
  write(chunk: Uint8Array): Promise<void>;
}

export type Source = (sink: Sink) => Promise<void>;

export class VerificationError extends FerryError {
  constructor(key: string, from: string) {
    super(`content of ${key} from ${from} does not match its key; discarded`, {
      data: { key, from },
      hint: `that copy may be damaged: run 'ferry fsck' there`,
    });
  }
}

const READ_BLOCK = 1 << 20;
/** Blocks at least this large are written and hashed at the same time. */
const OVERLAP_MIN = 256 << 10;
/** Bytes written between background fdatasyncs of a large file. */
const EARLY_FLUSH = 64 << 20;

/**
 * Fills the partial file of `key` from `source`, verifies it, and resolves to its path (complete,
 * verified, not yet durable). `from` names the source in errors. `onBytes` gets the running total.
 */
export async function receiveToTmp(layout: AnnexLayout, key: string, from: string, source: Source, onBytes?: (total: number) => void): Promise<string> {
  const parsed = parseKeyOrThrow(key);
  const backend = backendByName(parsed.backend);
  const tmp = layout.tmpObjectPath(key);
  // File calls are synchronous: each is one short syscall (a whole small file, or one block of a large
  // one), and ten thousand small transfers through libuv's pool cost more than they overlap.
  let fd: number;
  let offset: number;
  try {
    fd = openPartial(layout, tmp);
    offset = fstatSync(fd).size;
    // A partial file longer than the key says is not a prefix of this content: start again.
    if (parsed.size !== undefined && offset > parsed.size) {
      ftruncateSync(fd, 0);
      offset = 0;
    }
  } catch (err) {
    throw fileSystemError(err, 'write', tmp);
  }
  const hash = backend.hash ? createHash(backend.hash) : undefined;
  let total = offset;
  let unflushed = 0;
  let flushing: Promise<void> | undefined;
  try {
    if (hash && offset > 0) hashPrefix(fd, offset, hash);
    await source({
      offset,
      async write(chunk) {
        // A large block goes to the file from a pool thread while this thread hashes it: on two cores,
        // hashing no longer waits for the copy (a 1 GiB copy was the sum of both).
        const written = chunk.length >= OVERLAP_MIN ? writeAll(fd, chunk) : (writeAllSync(fd, chunk), undefined);
        hash?.update(chunk);
        await written;
        total += chunk.length;
        // The caller makes the file durable once it is whole; starting the disk writes as the bytes come
        // (an fdatasync per 64 MiB, in the background) leaves that final flush little to wait for.
        unflushed += chunk.length;
        if (unflushed >= EARLY_FLUSH && flushing === undefined) {
          unflushed = 0;
          flushing = dataSync(fd).finally(() => { flushing = undefined; });
        }
        checkpoint('receive-write', key); // the crash test kills here, between blocks of a large file
        onBytes?.(total);
      },
    });
  } catch (err) {
    throw err instanceof FerryError ? err : fileSystemError(err, 'receive', tmp);
  } finally {
    await flushing?.catch(() => undefined); // only a head start: the durable flush comes later anyway
    closeSync(fd);
  }
  const sizeOk = parsed.size === undefined || total === parsed.size;
  const expected = digestOfKey(parsed);
  const digest = hash?.digest('hex');
  if (!sizeOk || (expected !== undefined && digest !== expected && `\\${digest}` !== expected)) {
    rmSync(tmp, { force: true });
    throw new VerificationError(key, from);
  }
  return tmp;
}

function dataSync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => { fdatasync(fd, (err) => (err ? reject(err) : resolve())); });
}

function writeAllSync(fd: number, chunk: Uint8Array): void {
  for (let off = 0; off < chunk.length;) off += writeSync(fd, chunk, off, chunk.length - off);
}

async function writeAll(fd: number, chunk: Uint8Array): Promise<void> {
  for (let off = 0; off < chunk.length;) {
    off += await new Promise<number>((resolve, reject) => {
      write(fd, chunk, off, chunk.length - off, null, (err, n) => (err ? reject(err) : resolve(n)));
    });
  }
}

/** Opens (creating) the partial file for appending; the temp directory is made only when it is missing. */
function openPartial(layout: AnnexLayout, tmp: string): number {
  try {
    return openSync(tmp, 'a+', 0o644);
  } catch (err) {
    if (systemErrorCode(err) !== 'ENOENT') throw err;
  }
  mkdirSync(layout.tmpDir, { recursive: true });
  return openSync(tmp, 'a+', 0o644);
}

function hashPrefix(fd: number, length: number, hash: Hash): void {
  const buf = Buffer.allocUnsafe(Math.min(READ_BLOCK, length));
  for (let pos = 0; pos < length;) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, length - pos), pos);
    if (n === 0) break;
    hash.update(buf.subarray(0, n));
    pos += n;
  }
}
