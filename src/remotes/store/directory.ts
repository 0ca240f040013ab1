// The directory backend: a Store on a path (a USB disk, an NFS mount, a folder another tool syncs). Object
// NAME is the file ROOT/NAME. A put writes a temp file in ROOT/tmp/ (the directory special remote's own temp
// dir, annex-format.md §5.2), makes it read-only as git-annex does, and renames it into place, so a reader
// sees the old object or the new one. Puts are durable per batch: flush() fsyncs the files put since the last
// flush and the directories their renames and mkdirs changed (docs/NOTES.md "Durability order").
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { DurableBatch, FerryError, errorMessage, mapPool, systemErrorCode } from '../../util/index.js';
import { FileRangeReader, SourceFailure, copyWholeFile, writeSource } from './directory-io.js';
import { StoreNotFoundError, StorePermanentError, StoreTransientError } from './store.js';
import type { GetOptions, PutOptions, PutSource, Store, StoreCapabilities, StoreEntry, StoreStat } from './store.js';

/** Errors a retry may cure: a flaky disk or NFS server, descriptor exhaustion, a busy file. */
const TRANSIENT_ERRNOS = new Set(['EIO', 'EAGAIN', 'EWOULDBLOCK', 'EMFILE', 'ENFILE', 'EBUSY', 'EINTR', 'ETIMEDOUT', 'ESTALE', 'ENOMEM', 'ENOLCK']);
/** Temp files this backend writes; others in tmp/ (git-annex's own) are left alone. */
const TEMP_NAME = /^ferry-[0-9a-f]{16}\.part$/;
const STALE_TEMP_MS = 24 * 3600 * 1000;
/** How long a root seen to exist is trusted to, for telling "no such object" from "no such store". */
const ROOT_SEEN_MS = 1000;
/** How often a put redoes mkdir + rename after a concurrent delete removed the (empty) parent under it. */
const PLACE_ATTEMPTS = 8;

export class DirectoryStore implements Store {
  readonly description: string;
  readonly capabilities: StoreCapabilities = { durableOnPut: false, atomicReplace: true, maxConcurrency: 16 };
  private readonly tmpDir: string;
  private tmpReady: Promise<void> | undefined;
  private readonly pendingFiles = new Set<string>();
  private readonly pendingDirs = new Set<string>();
  private flushing: Promise<void> = Promise.resolve();
  private rootSeenAt = -Infinity;

  constructor(readonly root: string) {
    this.description = `directory ${root}`;
    this.tmpDir = join(root, 'tmp');
  }

  async put(name: string, source: PutSource, opts: PutOptions = {}): Promise<void> {
    const path = this.pathOf(name);
    opts.signal?.throwIfAborted();
    // A whole file is one kernel copy (one thread-pool job: 10,000 small files spent most of their time
    // handing the seven calls of an open/read/write/close copy to the pool and back).
    const whole = 'path' in source && (source.offset ?? 0) === 0 && source.size === undefined ? source : undefined;
    const tmp = await this.createTemp(name, async (t) => {
      if (whole !== undefined) {
        const copied = await copyWholeFile(whole.path, t); // not inside progress?.(…): skipped without one
        opts.progress?.(copied);
        return;
      }
      // Created read-only, as git-annex leaves its objects; the descriptor stays writable.
      const fh = await open(t, 'wx', 0o444);
      try {
        await writeSource(fh, source, opts);
      } finally {
        await fh.close();
      }
    });
    try {
      await this.place(tmp, path, name);
    } catch (err) {
      await rm(tmp, { force: true });
      throw await this.writeError(err, name);
    }
  }

  async get(name: string, opts: GetOptions = {}): Promise<Readable> {
    const path = this.pathOf(name);
    const offset = opts.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0 || (opts.length !== undefined && (!Number.isSafeInteger(opts.length) || opts.length < 0))) {
      throw new StorePermanentError(this.description, `bad range for ${name}: offset ${offset}, length ${opts.length}`, { name });
    }
    opts.signal?.throwIfAborted();
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      throw await this.translate(err, 'read', name);
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new StoreNotFoundError(this.description, name);
      const start = Math.min(offset, st.size);
      const end = opts.length === undefined ? st.size : Math.min(st.size, start + opts.length);
      const describe = (err: unknown, at: number): Error => err === undefined
        ? new StoreTransientError(this.description, `${name} ended at byte ${at}, before its size ${end}`, { name })
        : this.classify(err, 'read', name);
      return new FileRangeReader(fh, start, end, describe, opts.signal);
    } catch (err) {
      await fh.close();
      throw await this.translate(err, 'read', name);
    }
  }

  async stat(name: string): Promise<StoreStat | undefined> {
    const path = this.pathOf(name);
    try {
      const st = await stat(path, { bigint: true });
      return st.isFile() ? { size: Number(st.size), etag: etagOf(st.size, st.mtimeNs, st.ino) } : undefined;
    } catch (err) {
      const e = await this.translate(err, 'stat', name);
      if (e instanceof StoreNotFoundError) return undefined;
      throw e;
    }
  }

  async delete(name: string): Promise<void> {
    const path = this.pathOf(name);
    try {
      await unlink(path).catch(async (err: unknown) => {
        // git-annex makes key directories 0555 (annex-format.md §5.2): make the parent writable and try again.
        if (systemErrorCode(err) !== 'EACCES' && systemErrorCode(err) !== 'EPERM') throw err;
        await makeWritable(dirname(path));
        await unlink(path);
      });
    } catch (err) {
      // EISDIR: a directory of other objects, not an object of this name.
      if (systemErrorCode(err) === 'EISDIR') return;
      const e = await this.translate(err, 'delete', name);
      if (e instanceof StoreNotFoundError) return;
      throw e;
    }
    this.pendingFiles.delete(path);
    await this.removeEmptyParents(dirname(path));
  }

  async *list(prefix: string): AsyncIterable<StoreEntry> {
    if (prefix.startsWith('/') || prefix.includes('\0')) {
      throw new StorePermanentError(this.description, `invalid prefix ${JSON.stringify(prefix)}`);
    }
    const slash = prefix.lastIndexOf('/');
    const dirPart = slash < 0 ? '' : prefix.slice(0, slash);
    if (dirPart !== '' && !validName(dirPart)) return;
    const missing = await this.missingRoot();
    if (missing) throw missing;
    yield* this.walk(dirPart === '' ? this.root : join(this.root, dirPart), dirPart, prefix);
  }

  flush(): Promise<void> {
    // One flush at a time, each taking the batch as it finds it, so a flush resolves only once every put
    // that resolved before it was called is durable, even when an earlier flush failed.
    const run = this.flushing.then(() => this.flushPending());
    this.flushing = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.flushing;
  }

  private async flushPending(): Promise<void> {
    if (this.pendingFiles.size + this.pendingDirs.size === 0) return;
    const files = [...this.pendingFiles];
    const dirs = [...this.pendingDirs];
    this.pendingFiles.clear();
    this.pendingDirs.clear();
    const batch = new DurableBatch({ missingOk: true });
    for (const f of files) batch.addFile(f);
    for (const d of dirs) batch.addDir(d);
    try {
      await batch.flush(this.root);
    } catch (err) {
      for (const f of files) this.pendingFiles.add(f);
      for (const d of dirs) this.pendingDirs.add(d);
      throw await this.translate(err, 'sync', '');
    }
  }

  /** ROOT/NAME for a valid name; names under tmp/ are the backend's own. */
  private pathOf(name: string): string {
    if (!validName(name)) throw new StorePermanentError(this.description, `invalid object name ${JSON.stringify(name)}`, { name });
    if (name === 'tmp' || name.startsWith('tmp/')) {
      throw new StorePermanentError(this.description, `${name}: names under tmp/ are reserved for temporary files`, { name });
    }
    return join(this.root, name);
  }

  /** A new temp file in tmp/, made by `fill` (which creates it exclusively); removed again if `fill` fails. */
  private async createTemp(name: string, fill: (tmp: string) => Promise<void>): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      await this.ensureTmpDir(name);
      const tmp = join(this.tmpDir, `ferry-${randomBytes(8).toString('hex')}.part`);
      try {
        await fill(tmp);
        return tmp;
      } catch (err) {
        await rm(tmp, { force: true });
        if (err instanceof SourceFailure) throw err.error;
        // tmp/ removed behind our back (by a user tidying up): make it again, once.
        if (systemErrorCode(err) === 'ENOENT' && attempt === 0) {
          this.tmpReady = undefined;
          continue;
        }
        throw await this.writeError(err, name);
      }
    }
  }

  private async writeError(err: unknown, name: string): Promise<Error> {
    const e = await this.translate(err, 'write', name);
    // ENOTDIR: a parent of `name` is an object itself; not "not found" for a write.
    return e instanceof StoreNotFoundError ? new StorePermanentError(this.description, `cannot write ${name}: ${errorMessage(err)}`, { name, cause: err }) : e;
  }

  /** ROOT/tmp exists (ROOT itself is never created: git-annex requires it to exist, §5.1). */
  private ensureTmpDir(name: string): Promise<void> {
    this.tmpReady ??= (async () => {
      try {
        await mkdir(this.tmpDir);
      } catch (err) {
        if (systemErrorCode(err) !== 'EEXIST') throw await this.translate(err, 'write', name);
      }
      await this.removeStaleTemps();
    })();
    const ready = this.tmpReady;
    ready.catch(() => {
      if (this.tmpReady === ready) this.tmpReady = undefined;
    });
    return ready;
  }

  /** Temp files of puts killed a day or more ago; best effort, as they only take space. */
  private async removeStaleTemps(): Promise<void> {
    const names = await readdir(this.tmpDir).catch(() => [] as string[]);
    const cutoff = Date.now() - STALE_TEMP_MS;
    await mapPool(names.filter((n) => TEMP_NAME.test(n)), 16, async (n) => {
      const p = join(this.tmpDir, n);
      const st = await stat(p).catch(() => undefined);
      if (st && st.mtimeMs < cutoff) await rm(p, { force: true }).catch(() => undefined);
    });
  }

  /** Renames the finished temp file to `path`, creating its parent dirs, and adds what changed to the batch. */
  private async place(tmp: string, path: string, name: string): Promise<void> {
    const dir = dirname(path);
    for (let attempt = 1; ; attempt++) {
      try {
        const created = await mkdir(dir, { recursive: true });
        this.pendingDirs.add(dir);
        if (created !== undefined) {
          for (let d = dir; d.length >= created.length; d = dirname(d)) this.pendingDirs.add(dirname(d));
        }
        await rename(tmp, path);
        this.pendingFiles.add(path);
        return;
      } catch (err) {
        // A concurrent delete removed the parent we made, now empty, before our rename landed in it.
        if (systemErrorCode(err) === 'ENOENT' && attempt < PLACE_ATTEMPTS && !(await this.missingRoot())) continue;
        throw await this.translate(err, 'write', name);
      }
    }
  }

  /** rmdir of `dir` and its parents while empty, up to but not including ROOT. */
  private async removeEmptyParents(dir: string): Promise<void> {
    while (dir.startsWith(`${this.root}/`)) {
      try {
        await rmdir(dir).catch(async (err: unknown) => {
          if (systemErrorCode(err) !== 'EACCES' && systemErrorCode(err) !== 'EPERM') throw err;
          await makeWritable(dirname(dir));
          await rmdir(dir);
        });
        this.pendingDirs.delete(dir);
      } catch (err) {
        // ENOENT: another delete got there first, go on upwards. Anything else (not empty, no permission):
        // stop, the object is gone and an empty dir left behind costs nothing.
        if (systemErrorCode(err) !== 'ENOENT') return;
      }
      dir = dirname(dir);
    }
  }

  private async *walk(dir: string, rel: string, prefix: string): AsyncGenerator<StoreEntry> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      const code = systemErrorCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw await this.translate(err, 'list', rel);
    }
    const files: string[] = [];
    const dirs: string[] = [];
    for (const e of entries) {
      if (rel === '' && e.name === 'tmp') continue;
      const name = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isFile() && name.startsWith(prefix)) files.push(name);
      else if (e.isDirectory() && (`${name}/`.startsWith(prefix) || prefix.startsWith(`${name}/`))) dirs.push(name);
    }
    const stats = await mapPool(files, 16, async (name) => ({ name, st: await this.stat(name) }));
    for (const { name, st } of stats) if (st) yield { name, ...st };
    for (const d of dirs) yield* this.walk(join(this.root, d), d, prefix);
  }

  /** The error to throw when ROOT is not a directory (an unmounted drive), else undefined. */
  private async missingRoot(): Promise<StorePermanentError | undefined> {
    // Every absent object asks this; a root seen within the last moment is taken as still there (an
    // unmount in that moment answers "not found" for the keys looked at in it, as a mount point left behind does).
    if (performance.now() - this.rootSeenAt < ROOT_SEEN_MS) return undefined;
    const st = await stat(this.root).catch(() => undefined);
    if (st?.isDirectory()) {
      this.rootSeenAt = performance.now();
      return undefined;
    }
    return new StorePermanentError(this.description, `directory remote path ${this.root} does not exist: is the drive mounted?`, {
      hint: 'mount the drive, or point the remote at the right path (ferry enableremote NAME directory=PATH)',
    });
  }

  /** Like classify, but a missing file is first checked against a missing ROOT, which is a different answer. */
  private async translate(err: unknown, action: string, name: string): Promise<Error> {
    if (err instanceof StoreNotFoundError || err instanceof StoreTransientError || err instanceof StorePermanentError) return err;
    const code = errnoOf(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return (await this.missingRoot()) ?? new StoreNotFoundError(this.description, name, err);
    return this.classify(err, action, name);
  }

  /** errno → the Store error classes (STYLE 6): retry reads only this classification. */
  private classify(err: unknown, action: string, name: string): Error {
    if (err instanceof StoreNotFoundError || err instanceof StoreTransientError || err instanceof StorePermanentError) return err;
    if (isAbort(err)) return err as Error;
    const code = errnoOf(err);
    const what = name === '' ? this.root : name;
    const detail = `cannot ${action} ${what}: ${errorMessage(err)}`;
    if (code === 'ENOENT' || code === 'ENOTDIR') return new StoreNotFoundError(this.description, name, err);
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      return new StorePermanentError(this.description, `disk full: ${detail}`, {
        name, cause: err, hint: `free some space on the disk holding ${this.root} and run the command again`,
      });
    }
    if (code !== undefined && TRANSIENT_ERRNOS.has(code)) return new StoreTransientError(this.description, detail, { name, cause: err });
    return new StorePermanentError(this.description, detail, { name, cause: err });
  }
}

/** '/'-separated, relative, no empty, '.' or '..' segment: a name that maps to exactly one path under ROOT. */
function validName(name: string): boolean {
  return name !== '' && !name.includes('\0') && name.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

function etagOf(size: bigint, mtimeNs: bigint, ino: bigint): string {
  return `${size.toString(16)}-${mtimeNs.toString(16)}-${ino.toString(16)}`;
}

/** The errno of a Node error, or of the one a FerryError wraps (util's fileSystemError keeps it as cause). */
function errnoOf(err: unknown): string | undefined {
  return err instanceof FerryError ? systemErrorCode(err.cause) : systemErrorCode(err);
}

function isAbort(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError';
}

async function makeWritable(dir: string): Promise<void> {
  const st = await stat(dir);
  await chmod(dir, st.mode | 0o200);
}
