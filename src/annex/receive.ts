// Receiving content from elsewhere (another repository, later a cloud remote) into .git/annex/tmp/KEYFILE,
// the partial file git-annex also resumes from: bytes already there are kept (and hashed first), new bytes
// are appended and hashed as they arrive, and the result must match the key before anything may move it
// into the object store. A failed or interrupted transfer leaves the partial file for the next attempt;
// content that does not match its key is deleted, never kept.
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { chmodSync, closeSync, copyFile, fchmodSync, fdatasync, fstatSync, ftruncateSync, mkdirSync, openSync, read, readSync, rmSync, statSync, write, writeSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { FerryError, checkpoint, fileSystemError, systemErrorCode } from '../util/index.js';
import { backendByName, digestOfKey, parseKeyOrThrow } from './keys/index.js';
import type { AnnexLayout } from './layout.js';

/** Where received bytes go; `offset` is how many bytes the partial file already held. */
export interface Sink {
  readonly offset: number;
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Takes the whole of local file `path` (open as `fd`) at once, when offset is 0: the kernel copies it
   * while the source's bytes are hashed. Sources that are local files offer it (fileSource).
   */
  copyLocalFile?(path: string, fd: number, size: number): Promise<void>;
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
 * Local files from this size on are copied by the kernel (copy_file_range through fs.copyFile) while this
 * thread hashes the source: writing 1 GiB from user space cost this VM 0.9–2.5 s of system time, the
 * kernel's copy 0.35 s, and the hash then runs beside it instead of after it.
 */
const KERNEL_COPY_MIN = 8 << 20;

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
      async copyLocalFile(path, srcFd, size) {
        if (total !== 0) throw new Error('internal: copyLocalFile after bytes were written');
        const before = fstatSync(srcFd);
        // The copy is usually done before the hash: its disk writes then start at once (the durable flush
        // the caller makes later finds little left), while the hash goes on.
        const copying = new Promise<void>((resolve, reject) => { copyFile(path, tmp, (err) => (err ? reject(err) : resolve())); })
          .then(() => dataSync(fd));
        try {
          // The bytes hashed are the source's, read as the kernel copies the same pages: as with write(),
          // where the buffer hashed is trusted to be what the kernel puts in the page cache. What could
          // differ is the source changing meanwhile, which the stat comparison below refuses.
          await readBlocks(srcFd, 0, path, (block) => {
            hash?.update(block);
            total += block.length;
            checkpoint('receive-write', key);
            onBytes?.(total);
          });
        } finally {
          await copying.catch(() => undefined);
        }
        await copying;
        fchmodSync(fd, 0o644); // copyFile gave the partial file the source's read-only mode
        if (total !== size || !unchanged(before, fstatSync(srcFd), path)) {
          rmSync(tmp, { force: true }); // what was copied may be neither version
          throw new FerryError(`${path} changed while it was being copied`, { hint: 'try again' });
        }
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
    checkpoint('verify-failed', key);
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

/**
 * Opens (creating) the partial file for appending; the temp directory is made only when it is missing. A
 * kernel copy killed midway leaves its partial file with the source's read-only mode: made writable again.
 */
function openPartial(layout: AnnexLayout, tmp: string): number {
  try {
    return openSync(tmp, 'a+', 0o644);
  } catch (err) {
    const code = systemErrorCode(err);
    if (code === 'EACCES') chmodSync(tmp, 0o644);
    else if (code === 'ENOENT') mkdirSync(layout.tmpDir, { recursive: true });
    else throw err;
  }
  return openSync(tmp, 'a+', 0o644);
}

/** Same file, same size, not written to since `before` (ctime moves with every write and chmod). */
function unchanged(before: Stats, after: Stats, path: string): boolean {
  const named = statSync(path, { throwIfNoEntry: false });
  return after.size === before.size && after.mtimeMs === before.mtimeMs && after.ctimeMs === before.ctimeMs
    && named !== undefined && named.ino === before.ino && named.dev === before.dev;
}

/**
 * A local file as a Source, from the sink's offset on. A small file is one synchronous read (ten thousand
 * of them through libuv's pool cost more in hand-offs than they overlap); a large one, from its start, is
 * handed to the sink's kernel copy when it has one; otherwise it goes in 1 MiB blocks, each read while the
 * sink writes and hashes the last.
 */
export function fileSource(path: string): Source {
  return async (sink) => {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      throw fileSystemError(err, 'read', path);
    }
    try {
      const size = fstatSync(fd).size;
      const left = size - sink.offset;
      if (left <= READ_BLOCK) {
        const buf = Buffer.allocUnsafe(Math.max(1, left));
        let n: number;
        try {
          n = readSync(fd, buf, 0, buf.length, sink.offset);
        } catch (err) {
          throw fileSystemError(err, 'read', path);
        }
        if (n > 0) await sink.write(buf.subarray(0, n));
        return;
      }
      if (sink.offset === 0 && size >= KERNEL_COPY_MIN && sink.copyLocalFile) {
        await sink.copyLocalFile(path, fd, size);
        return;
      }
      await readBlocks(fd, sink.offset, path, (block) => sink.write(block));
    } finally {
      closeSync(fd);
    }
  };
}

/** Reads `fd` from `pos` to its end in 1 MiB blocks, the next read in flight while `use` takes the last. */
async function readBlocks(fd: number, pos: number, path: string, use: (block: Buffer) => void | Promise<void>): Promise<void> {
  const bufs = [Buffer.allocUnsafe(READ_BLOCK), Buffer.allocUnsafe(READ_BLOCK)] as const;
  let reading: Promise<number> | undefined = readAt(fd, bufs[0], pos, path);
  try {
    for (let i = 0; ; i++) {
      const n: number = await reading;
      reading = undefined;
      if (n === 0) return;
      pos += n;
      reading = readAt(fd, bufs[(i + 1) % 2]!, pos, path);
      await use(bufs[i % 2]!.subarray(0, n));
    }
  } finally {
    await reading?.catch(() => 0); // never let the caller close the file under a read still in flight
  }
}

function readAt(fd: number, buf: Buffer, pos: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buf, 0, buf.length, pos, (err, n) => (err ? reject(fileSystemError(err, 'read', path)) : resolve(n)));
  });
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
