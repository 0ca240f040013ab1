// The byte moving of the directory backend: writing a PutSource into an open temp file, and a ranged read of
// an object file as a stream. Kept apart from directory.ts, which decides names, placement and errors.
import { constants } from 'node:fs';
import { chmod, copyFile, open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { Readable, addAbortSignal } from 'node:stream';
import { fileSystemError } from '../../util/index.js';
import type { PutOptions, PutSource } from './store.js';

/**
 * Copy block for a file source: 256 KiB stays in the CPU cache between read and write; measured on 512 MiB,
 * 256 KiB copies as fast as `cp`, 1 MiB takes 1.5x as long.
 */
const COPY_BLOCK = 256 << 10;
/** Read block of a get: fewer, larger chunks for the hashing and decryption downstream. */
const READ_BLOCK = 1 << 20;

/** Thrown by the source side of a put, so the caller can tell it from a failure of the store's disk. */
export class SourceFailure extends Error {
  constructor(readonly error: unknown) {
    super('the source of a put failed', { cause: error });
  }
}

/**
 * Copies `source` into `fh` (positioned at 0) and returns the bytes written. Errors of the source come
 * wrapped in SourceFailure; errors writing `fh` are thrown as they are, for the caller to classify.
 */
export async function writeSource(fh: FileHandle, source: PutSource, opts: PutOptions): Promise<number> {
  opts.signal?.throwIfAborted();
  if ('bytes' in source) {
    await writeAll(fh, source.bytes);
    opts.progress?.(source.bytes.length);
    return source.bytes.length;
  }
  if ('path' in source) return copyFileRange(fh, source, opts);
  let stream: Readable;
  try {
    stream = source.open();
  } catch (err) {
    throw new SourceFailure(err);
  }
  if (opts.signal) addAbortSignal(opts.signal, stream);
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Uint8Array | string>;
  let written = 0;
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array | string>;
      try {
        next = await it.next();
      } catch (err) {
        throw new SourceFailure(err);
      }
      if (next.done) break;
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      await writeAll(fh, chunk);
      written += chunk.length;
      opts.progress?.(written);
    }
  } finally {
    stream.destroy();
  }
  opts.signal?.throwIfAborted();
  if (source.size !== undefined && written !== source.size) {
    throw new SourceFailure(new Error(`the source gave ${written} bytes where ${source.size} were announced`));
  }
  return written;
}

async function copyFileRange(fh: FileHandle, source: { path: string; offset?: number; size?: number }, opts: PutOptions): Promise<number> {
  let src: FileHandle;
  try {
    src = await open(source.path, 'r');
  } catch (err) {
    throw new SourceFailure(fileSystemError(err, 'read', source.path));
  }
  try {
    const start = source.offset ?? 0;
    const size = source.size ?? Math.max(0, (await src.stat()).size - start);
    const buf = Buffer.allocUnsafe(Math.min(COPY_BLOCK, Math.max(size, 1)));
    let done = 0;
    while (done < size) {
      opts.signal?.throwIfAborted();
      let n: number;
      try {
        n = (await src.read(buf, 0, Math.min(buf.length, size - done), start + done)).bytesRead;
      } catch (err) {
        throw new SourceFailure(fileSystemError(err, 'read', source.path));
      }
      if (n === 0) throw new SourceFailure(new Error(`${source.path} ended at byte ${start + done}, before the ${size} bytes to send`));
      await writeAll(fh, buf.subarray(0, n));
      done += n;
      opts.progress?.(done);
    }
    if (size === 0) opts.progress?.(0);
    return size;
  } finally {
    await src.close();
  }
}

/**
 * Copies the whole file `path` to the new file `tmpPath` with the kernel (fs.copyFile: copy_file_range, or a
 * reflink where the file system shares blocks), as `cp` copies it, and leaves the copy without write
 * permission. Errors reading the source come as SourceFailure; others are the destination's.
 */
export async function copyWholeFile(path: string, tmpPath: string): Promise<number> {
  try {
    await copyFile(path, tmpPath, constants.COPYFILE_EXCL);
  } catch (err) {
    // A source that cannot be read is the sender's problem; anything else is the store's disk.
    const sourceGone = await stat(path).then(() => false, () => true);
    throw sourceGone ? new SourceFailure(fileSystemError(err, 'read', path)) : err;
  }
  // copyFile gives the copy the source's mode: an object is normally read-only already.
  const st = await stat(tmpPath);
  if ((st.mode & 0o222) !== 0) await chmod(tmpPath, st.mode & 0o555);
  return st.size;
}

async function writeAll(fh: FileHandle, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length;) off += (await fh.write(data, off, data.length - off)).bytesWritten;
}

/**
 * Bytes [start, end) of an open object file as a stream that owns `fh` (closed at end, error or destroy).
 * A file shorter than `end` (changed under us by another program) is an error, not a silent short read.
 */
export class FileRangeReader extends Readable {
  private pos: number;

  constructor(
    private readonly fh: FileHandle,
    start: number,
    private readonly end: number,
    private readonly describe: (err: unknown, at: number) => Error,
    signal?: AbortSignal,
  ) {
    super({ highWaterMark: READ_BLOCK });
    this.pos = start;
    if (signal) addAbortSignal(signal, this);
  }

  override _read(): void {
    const want = Math.min(READ_BLOCK, this.end - this.pos);
    if (want <= 0) {
      this.push(null);
      return;
    }
    const buf = Buffer.allocUnsafe(want);
    this.fh.read(buf, 0, want, this.pos).then(({ bytesRead }) => {
      if (bytesRead === 0) {
        this.destroy(this.describe(undefined, this.pos));
        return;
      }
      this.pos += bytesRead;
      this.push(bytesRead === want ? buf : buf.subarray(0, bytesRead));
    }, (err: unknown) => this.destroy(this.describe(err, this.pos)));
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.fh.close().then(() => cb(err), (closeErr: Error) => cb(err ?? closeErr));
  }
}
