// The object store, .git/annex/objects (annex-format.md §2.2): content under its key, file 0444 in a 0555
// key directory as git-annex leaves them. Content arrives whole or not at all: by hard link of a file that is
// complete (a locked add), or by rename of a finished temp file (copies, downloads); nothing half-written is
// ever visible under a key. Every placement is added to the caller's DurableBatch, which must be flushed
// before the git-annex branch records the object (docs/NOTES.md "Durability order").
import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import { chmod, copyFile, link, lstat, mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DurableBatch } from '../util/index.js';
import { checkpoint, fileSystemError, isNotFound, systemErrorCode } from '../util/index.js';
import { parseKey, verifyKey } from './keys/index.js';
import type { AnnexLayout } from './layout.js';

export type Placement = 'placed' | 'present';

export class ObjectStore {
  constructor(private readonly layout: AnnexLayout) {}

  path(key: string): string {
    return this.layout.objectPath(key);
  }

  /** Where the object of `key` is, or undefined when this repository does not have it. */
  async find(key: string): Promise<string | undefined> {
    for (const p of [this.layout.objectPath(key), this.layout.alternateObjectPath(key)]) {
      try {
        const st = await stat(p);
        if (st.isFile()) return p;
      } catch (err) {
        if (!isNotFound(err) && systemErrorCode(err) !== 'ENOTDIR') throw fileSystemError(err, 'look at', p);
      }
    }
    return undefined;
  }

  async has(key: string): Promise<boolean> {
    return (await this.find(key)) !== undefined;
  }

  /**
   * Puts `src` (a complete file) in as the object of `key` by hard link: no bytes are copied, and `src` keeps
   * its name until the caller replaces it, so a crash at any point leaves the user's file in place. The link
   * shares the inode, so making the object read-only makes `src` read-only too (git-annex's lockdown).
   * Falls back to a copy where hard links are impossible (another file system, no link support).
   */
  async linkIn(key: string, src: string, batch: DurableBatch): Promise<Placement> {
    if (await this.has(key)) return 'present';
    const dest = await this.prepareDir(key, batch);
    try {
      await link(src, dest);
    } catch (err) {
      const code = systemErrorCode(err);
      if (code === 'EEXIST') return 'present';
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EMLINK') throw fileSystemError(err, 'link', src);
      return this.copyIn(key, src, batch);
    }
    await this.freeze(key, dest, batch);
    return 'placed';
  }

  /** Puts a private copy of `src` in (reflinked where the file system can). For unlocked files and fallbacks. */
  async copyIn(key: string, src: string, batch: DurableBatch): Promise<Placement> {
    if (await this.has(key)) return 'present';
    const tmp = `${this.layout.tmpObjectPath(key)}.ingest`;
    await mkdir(this.layout.tmpDir, { recursive: true });
    try {
      await copyFile(src, tmp, constants.COPYFILE_FICLONE);
    } catch (err) {
      await rm(tmp, { force: true });
      throw fileSystemError(err, 'copy', src);
    }
    return this.renameIn(key, tmp, batch);
  }

  /** Moves a finished temp file in as the object of `key` (the caller has verified it). */
  async renameIn(key: string, tmp: string, batch: DurableBatch): Promise<Placement> {
    if (await this.has(key)) {
      await rm(tmp, { force: true });
      return 'present';
    }
    batch.addFile(tmp);
    const dest = await this.prepareDir(key, batch);
    try {
      await rename(tmp, dest);
    } catch (err) {
      throw fileSystemError(err, 'move into the object store', tmp);
    }
    await this.freeze(key, dest, batch);
    return 'placed';
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
      await rename(p, dest);
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

  /** Creates the key directory (hash dirs 0755) and returns the object path inside it. */
  private async prepareDir(key: string, batch: DurableBatch): Promise<string> {
    const dest = this.layout.objectPath(key);
    const keyDir = dirname(dest);
    try {
      const created = await mkdir(keyDir, { recursive: true, mode: 0o755 });
      if (created !== undefined) {
        // Every directory from the first one created upwards gained an entry that must reach the disk.
        for (let d = keyDir; d.length >= created.length; d = dirname(d)) batch.addDir(dirname(d));
      } else {
        await chmod(keyDir, 0o755); // left read-only by an earlier, interrupted placement
      }
    } catch (err) {
      throw fileSystemError(err, 'create', keyDir);
    }
    return dest;
  }

  private async freeze(key: string, dest: string, batch: DurableBatch): Promise<void> {
    const keyDir = dirname(dest);
    try {
      await chmod(dest, 0o444);
      await chmod(keyDir, 0o555);
    } catch (err) {
      throw fileSystemError(err, 'protect', dest);
    }
    batch.addFile(dest);
    batch.addDir(keyDir);
    checkpoint('object', key);
  }
}
