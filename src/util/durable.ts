// Durability per batch, in order (docs/NOTES.md "Durability order"): callers write and rename many files
// concurrently, add them here, and call flush() once; only after flush() resolves may anything (the
// git-annex branch above all) record that those files exist. Small batches fsync each file and directory
// concurrently; large ones make one syncfs(2) call on the file system, which is cheaper than thousands of
// fsyncs (measured: 2,000 files, 16 concurrent fsyncs 280 ms).
import { open } from 'node:fs/promises';
import { fileSystemError, systemErrorCode } from './errors.js';
import { mapPool } from './pool.js';
import { syncFileSystem, locksAvailable } from './locks.js';
import { checkpoint } from './trace.js';

const SYNCFS_THRESHOLD = 64;
const FSYNC_CONCURRENCY = 16;

export class DurableBatch {
  private readonly files = new Set<string>();
  private readonly dirs = new Set<string>();

  /**
   * `missingOk`: a path deleted since it was added is skipped (a Store whose objects may be deleted between
   * put and flush); without it a missing path is an error, as it is a bug in the foundation's order.
   */
  constructor(private readonly opts: { missingOk?: boolean } = {}) {}

  /** A file whose bytes must be on disk. */
  addFile(path: string): void {
    this.files.add(path);
  }

  /** A directory whose entries (a rename or link into it) must be on disk. */
  addDir(path: string): void {
    this.dirs.add(path);
  }

  get size(): number {
    return this.files.size + this.dirs.size;
  }

  /** Makes everything added durable; `anyPath` names the file system for the syncfs route. */
  async flush(anyPath: string): Promise<void> {
    if (this.size === 0) return;
    if (this.size >= SYNCFS_THRESHOLD && locksAvailable()) {
      await syncFileSystem(anyPath);
      checkpoint('sync', `syncfs ${this.size}`);
    } else {
      const missingOk = this.opts.missingOk === true;
      await mapPool([...this.files, ...this.dirs], FSYNC_CONCURRENCY, (p) => fsyncPath(p, missingOk));
      checkpoint('sync', `fsync ${this.size}`);
    }
    this.files.clear();
    this.dirs.clear();
  }
}

/** fsync of one file or directory (opened read-only: Linux allows fsync on such an fd). */
export async function fsyncPath(path: string, missingOk = false): Promise<void> {
  try {
    const fh = await open(path, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (missingOk && systemErrorCode(err) === 'ENOENT') return;
    throw fileSystemError(err, 'sync', path);
  }
}
