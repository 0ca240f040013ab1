// Paths the assistant itself is writing (a download filling in a pointer file, a merge's checkout): the
// watcher must not take them for the user's edits, or every download would become a commit (STYLE 11).
// A writer marks a path before it writes and, when done, records what it left there (size, mtime, inode).
// File events come late, so the watcher asks afterwards: an event on a path being written, or whose file
// still is exactly what ferry left, is ferry's own; anything else is the user's, even a moment later.

/** What identifies one version of a file on disk. */
export interface FileStamp {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
}

export class SelfWrites {
  readonly #active = new Map<string, number>();
  readonly #left = new Map<string, FileStamp>();

  /**
   * Marks `path` (relative to the work tree, '/'-separated) as being written by ferry. Call the returned
   * function when done, with the stamp of what was written (undefined when the path was removed or the
   * write failed: then nothing later counts as ferry's).
   */
  begin(path: string): (written: FileStamp | undefined) => void {
    this.#active.set(path, (this.#active.get(path) ?? 0) + 1);
    let done = false;
    return (written) => {
      if (done) return;
      done = true;
      const n = (this.#active.get(path) ?? 1) - 1;
      if (n > 0) this.#active.set(path, n);
      else this.#active.delete(path);
      if (written !== undefined) this.#left.set(path, written);
      else this.#left.delete(path);
    };
  }

  /**
   * Whether an event on `path` is ferry's own: a write is under way there, or the file is still exactly
   * what ferry left (`current`: its stamp now, undefined when it is gone). Once the file differs, the
   * record is forgotten: every later event is the user's.
   */
  isOwn(path: string, current: FileStamp | undefined): boolean {
    if (this.#active.has(path)) return true;
    const left = this.#left.get(path);
    if (left === undefined) return false;
    if (current !== undefined && current.size === left.size && current.mtimeMs === left.mtimeMs && current.ino === left.ino) return true;
    this.#left.delete(path);
    return false;
  }
}
