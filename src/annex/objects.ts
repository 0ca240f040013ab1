// The object store, .git/annex/objects (annex-format.md §2.2): content under its key, file 0444 in a 0555
// key directory as git-annex leaves them. Content arrives whole or not at all: by hard link of a file that is
// complete (a locked add), or by rename of a finished temp file (copies, downloads); nothing half-written is
// ever visible under a key. Every placement is added to the caller's DurableBatch, which must be flushed
// before the git-annex branch records the object (docs/NOTES.md "Durability order").
// The metadata calls (mkdir, link, chmod, rename) are synchronous on purpose: each is one short syscall,
// and sending thousands of them through libuv's thread pool cost several times the CPU (threads contending
// for the same directories) without finishing sooner (measured: 5,000 link+chmod, docs/NOTES.md).
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import { chmodSync, linkSync, mkdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DurableBatch } from '../util/index.js';
import { checkpoint, fileSystemError, fsyncPath, isNotFound, systemErrorCode } from '../util/index.js';
import { parseKey, verifyKey } from './keys/index.js';
import type { AnnexLayout } from './layout.js';

export type Placement = 'placed' | 'present';

export class ObjectStore {
  private objectsDirReady = false;
  private readonly placing = new Map<string, Promise<Placement>>();
  private readonly knownDirs = new Set<string>();

  constructor(private readonly layout: AnnexLayout) {}

  path(key: string): string {
    return this.layout.objectPath(key);
  }

  /** Where the object of `key` is, or undefined when this repository does not have it. */
  find(key: string): Promise<string | undefined> {
    // statSync like the other metadata calls: a copy of 10,000 keys asks this several times per key.
    for (const p of [this.layout.objectPath(key), this.layout.alternateObjectPath(key)]) {
      try {
        if (statSync(p, { throwIfNoEntry: false })?.isFile()) return Promise.resolve(p);
      } catch (err) {
        if (systemErrorCode(err) !== 'ENOTDIR') return Promise.reject(fileSystemError(err, 'look at', p));
      }
    }
    return Promise.resolve(undefined);
  }

  async has(key: string): Promise<boolean> {
    return (await this.find(key)) !== undefined;
  }

  /**
   * Puts `src` (a complete file) in as the object of `key` by hard link: no bytes are copied, and `src` keeps
   * its name until the caller replaces it, so a crash at any point leaves the user's file in place. The link
   * shares the inode, so making the object read-only makes `src` read-only too (git-annex's lockdown).
   * Falls back to a copy where hard links are impossible (another file system, no link support).
   * Tries the link first: an existing object answers EEXIST, so the common case costs no extra lookups.
   */
  async linkIn(key: string, src: string, batch: DurableBatch, opts: { thin?: boolean } = {}): Promise<Placement> {
    return this.oneAtATime(key, async () => {
      const dest = this.prepareDir(key, batch);
      try {
        linkSync(src, dest);
      } catch (err) {
        const code = systemErrorCode(err);
        if (code === 'EEXIST') return this.alreadyThere(dest, batch);
        if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EMLINK') throw fileSystemError(err, 'link', src);
        return this.copy(key, src, batch);
      }
      this.freeze(key, dest, batch, !opts.thin);
      return 'placed';
    });
  }

  /** Puts a private copy of `src` in (reflinked where the file system can). For unlocked files and fallbacks. */
  async copyIn(key: string, src: string, batch: DurableBatch): Promise<Placement> {
    return this.oneAtATime(key, () => this.copy(key, src, batch));
  }

  /**
   * Moves a finished temp file in as the object of `key` (the caller has verified it). The temp file is
   * fsynced first unless the caller already made it durable (`tmpDurable`, after a batch flush).
   */
  async renameIn(key: string, tmp: string, batch: DurableBatch, opts: { tmpDurable?: boolean } = {}): Promise<Placement> {
    return this.oneAtATime(key, () => this.rename(key, tmp, batch, opts.tmpDurable === true));
  }

  /**
   * Unlinks the object of a drop, leaving its key directory and KEY.lck to removeContentLockFile (the
   * caller holds that lock, as git-annex does while it drops).
   */
  dropObject(key: string): void {
    for (const p of [this.layout.objectPath(key), this.layout.alternateObjectPath(key)]) {
      try {
        chmodSync(dirname(p), 0o755);
        unlinkSync(p);
      } catch (err) {
        if (!isNotFound(err)) throw fileSystemError(err, 'remove', p);
      }
    }
  }

  private async copy(key: string, src: string, batch: DurableBatch): Promise<Placement> {
    const existing = await this.find(key);
    if (existing) return this.alreadyThere(existing, batch);
    // A name of its own: two files with the same content must never share a temp file.
    const tmp = `${this.layout.tmpObjectPath(key)}.${process.pid}.${randomBytes(4).toString('hex')}.ingest`;
    await mkdir(this.layout.tmpDir, { recursive: true });
    try {
      await copyFile(src, tmp, constants.COPYFILE_FICLONE);
    } catch (err) {
      await rm(tmp, { force: true });
      throw fileSystemError(err, 'copy', src);
    }
    checkpoint('copied', key);
    return this.rename(key, tmp, batch, false);
  }

  private async rename(key: string, tmp: string, batch: DurableBatch, tmpDurable: boolean): Promise<Placement> {
    const existing = await this.find(key);
    if (existing) {
      await rm(tmp, { force: true });
      return this.alreadyThere(existing, batch);
    }
    // Durable before it takes the key's name: after a crash, a name in the store means whole content.
    if (!tmpDurable) await fsyncPath(tmp);
    const dest = this.prepareDir(key, batch);
    try {
      renameSync(tmp, dest);
    } catch (err) {
      throw fileSystemError(err, 'move into the object store', tmp);
    }
    this.freeze(key, dest, batch);
    return 'placed';
  }

  /**
   * An object that was already there is made durable with the batch too: the run that placed it may have
   * been killed before its flush, and this run's log is about to vouch for it.
   */
  private alreadyThere(path: string, batch: DurableBatch): Placement {
    chmodSync(dirname(path), 0o555);
    batch.addFile(path);
    batch.addDir(dirname(path));
    return 'present';
  }

  /** Places of one key are serialised within this process; a second one finds the first's object. */
  private async oneAtATime(key: string, place: () => Promise<Placement>): Promise<Placement> {
    const before = this.placing.get(key);
    const current = before ? before.catch(() => undefined).then(place) : place();
    this.placing.set(key, current);
    try {
      return await current;
    } finally {
      if (this.placing.get(key) === current) this.placing.delete(key);
    }
  }

  /** Whether the object's content matches its key (size, and hash for hash backends). */
  async verify(key: string): Promise<boolean> {
    const p = await this.find(key);
    const parsed = parseKey(key);
    if (!p || !parsed) return false;
    return verifyKey(parsed, p);
  }

  /** Removes the object (and its key directory); the caller has committed "absent" first where it matters. */
  async remove(key: string): Promise<void> {
    for (const p of [this.layout.objectPath(key), this.layout.alternateObjectPath(key)]) {
      const dir = dirname(p);
      try {
        await chmod(dir, 0o755);
      } catch (err) {
        if (isNotFound(err)) continue;
        throw fileSystemError(err, 'remove', dir);
      }
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Moves the object out to `dest` (fsck's .git/annex/bad/), removing its key directory. */
  async moveOut(key: string, dest: string): Promise<void> {
    const p = await this.find(key);
    if (!p) return;
    try {
      await chmod(dirname(p), 0o755);
      renameSync(p, dest);
    } catch (err) {
      throw fileSystemError(err, 'move out of the object store', p);
    }
    await this.remove(key);
  }

  /** Stat of the object file (for inode-cache checks), or undefined. */
  async statObject(key: string): Promise<Stats | undefined> {
    const p = await this.find(key);
    return p === undefined ? undefined : lstat(p);
  }

  /**
   * Creates the key directory (hash dirs 0755) and returns the object path inside it. Top-down, three
   * mkdirs that may find their directory there: fewer calls than probing upward from the key directory.
   */
  private prepareDir(key: string, batch: DurableBatch): string {
    const dest = this.layout.objectPath(key);
    const keyDir = dirname(dest);
    const hashDir = dirname(keyDir);
    // Hash directories seen to exist are remembered: of 10,000 new keys' first-level directories, all but
    // ~1,000 are already there, and each mkdir that finds one still costs a syscall.
    const dirs = [dirname(hashDir), hashDir, keyDir].filter((d) => !this.knownDirs.has(d));
    try {
      if (!this.objectsDirReady) mkdirSync(this.layout.objectsDir, { recursive: true });
      this.objectsDirReady = true;
      for (const d of dirs) {
        try {
          mkdirSync(d, { mode: 0o755 });
          batch.addDir(dirname(d)); // a new entry in the parent, which must reach the disk
        } catch (err) {
          if (systemErrorCode(err) !== 'EEXIST') throw err;
          if (d === keyDir) chmodSync(keyDir, 0o755); // left read-only by an earlier placement
        }
        if (d !== keyDir) this.knownDirs.add(d);
      }
    } catch (err) {
      throw fileSystemError(err, 'create', keyDir);
    }
    return dest;
  }

  /** Read-only file (unless it is an annex.thin work-tree file's other name) in a read-only key directory. */
  private freeze(key: string, dest: string, batch: DurableBatch, readOnlyFile = true): void {
    const keyDir = dirname(dest);
    try {
      if (readOnlyFile) chmodSync(dest, 0o444);
      chmodSync(keyDir, 0o555);
    } catch (err) {
      throw fileSystemError(err, 'protect', dest);
    }
    batch.addFile(dest);
    batch.addDir(keyDir);
    checkpoint('object', key);
  }
}
