// Holds a stream's bytes until they can be sent on: in memory up to a limit, then in a temp file, so a
// large file passing through the filter never has to fit in memory.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';

const MEMORY_LIMIT = 8 * 2 ** 20;

export class Spool {
  private chunks: Buffer[] = [];
  private size = 0;
  private file: { path: string; fh: FileHandle } | undefined;

  constructor(private readonly tmpDir: string) {}

  async write(b: Buffer): Promise<void> {
    if (this.file === undefined && this.size + b.length <= MEMORY_LIMIT) {
      this.chunks.push(b);
      this.size += b.length;
      return;
    }
    if (this.file === undefined) {
      await mkdir(this.tmpDir, { recursive: true });
      const path = join(this.tmpDir, `ferry-spool-${process.pid}-${randomBytes(4).toString('hex')}`);
      this.file = { path, fh: await open(path, 'w+', 0o600) };
      for (const c of this.chunks) await this.file.fh.write(c);
      this.chunks = [];
    }
    await this.file.fh.write(b);
    this.size += b.length;
  }

  async *read(): AsyncIterable<Buffer> {
    if (this.file === undefined) {
      yield* this.chunks;
      return;
    }
    for await (const b of createReadStream(this.file.path, { highWaterMark: 1 << 20 })) yield b as Buffer;
  }

  async dispose(): Promise<void> {
    this.chunks = [];
    if (this.file) {
      await this.file.fh.close();
      await rm(this.file.path, { force: true });
      this.file = undefined;
    }
  }
}
