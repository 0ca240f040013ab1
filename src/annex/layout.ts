// Where things live under .git/annex (annex-format.md §2.2). Pure path arithmetic.
import { join } from 'node:path';
import { hashDirLower, hashDirMixed, keyFile } from './keys/index.js';

export class AnnexLayout {
  readonly annexDir: string;
  readonly objectsDir: string;
  readonly tmpDir: string;
  readonly otherTmpDir: string;
  readonly journalDir: string;
  readonly journalLock: string;
  readonly index: string;
  readonly indexLock: string;
  /** ferry's own state, beside git-annex's (never inside .git/annex, so git-annex never trips on it). */
  readonly ferryDir: string;

  constructor(readonly gitDir: string, readonly bare: boolean) {
    this.annexDir = join(gitDir, 'annex');
    this.objectsDir = join(this.annexDir, 'objects');
    this.tmpDir = join(this.annexDir, 'tmp');
    this.otherTmpDir = join(this.annexDir, 'othertmp');
    this.journalDir = join(this.annexDir, 'journal');
    this.journalLock = join(this.annexDir, 'journal.lck');
    this.index = join(this.annexDir, 'index');
    this.indexLock = join(this.annexDir, 'index.lck');
    this.ferryDir = join(gitDir, 'ferry');
  }

  /** The hash directory objects use here: mixed in a work tree's .git, lower in a bare repository (§1.5). */
  objectHashDir(key: string): string {
    return this.bare ? hashDirLower(key) : hashDirMixed(key);
  }

  /** .git/annex/objects/XX/YY/KEYFILE: the directory holding the object (mode 0555 once it is in). */
  objectDir(key: string): string {
    return join(this.objectsDir, this.objectHashDir(key), keyFile(key));
  }

  objectPath(key: string): string {
    return join(this.objectDir(key), keyFile(key));
  }

  /** Where an object is found in a repository converted between bare and non-bare (git-annex looks in both). */
  alternateObjectPath(key: string): string {
    const dir = this.bare ? hashDirMixed(key) : hashDirLower(key);
    return join(this.objectsDir, dir, keyFile(key), keyFile(key));
  }

  /** git-annex's per-object lock file, beside the object inside its key directory; taken to drop or move it (pitfall 8). */
  objectLockPath(key: string): string {
    return `${this.objectPath(key)}.lck`;
  }

  /** Shared while writing temp files in othertmp/; git-annex takes it exclusively to clean othertmp/. */
  get otherTmpLock(): string {
    return join(this.annexDir, 'othertmp.lck');
  }

  /** Exclusive while git-annex (and ferry) update the work tree's index from .git/annex. */
  get gitQueueLock(): string {
    return join(this.annexDir, 'gitqueue.lck');
  }

  /** Partial download of a key (resumed by the next get). */
  tmpObjectPath(key: string): string {
    return join(this.tmpDir, keyFile(key));
  }
}
