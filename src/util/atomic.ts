// Whole-file replacement that a reader (or a crash) never sees half done: write a temp file in the same
// directory (or a given temp dir on the same file system), then rename it over the target.
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileSystemError } from './errors.js';

export interface AtomicWriteOptions {
  /** Directory for the temp file (same file system as the target); defaults to the target's directory. */
  readonly tmpDir?: string;
  /** fsync the file before the rename (the caller syncs the directory when it needs the rename durable). */
  readonly fsync?: boolean;
  readonly mode?: number;
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const tmp = join(opts.tmpDir ?? dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'wx', opts.mode ?? 0o644);
    try {
      await fh.writeFile(data);
      if (opts.fsync) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw fileSystemError(err, 'write', path);
  }
}
