// Another git-annex repository on a path, used as a Remote by opening it as an Annex: its own object store,
// its own git-annex branch (under its own journal.lck), its own content locks. So a copy into it is placed,
// made durable and logged exactly as if the repository had received it itself (as git-annex does for a
// local remote), and git-annex working in that repository at the same time sees ferry's locks.
import type { Annex } from '../../annex/index.js';
import { fileSource, receiveToTmp, lockContent, locationLogPath, presenceChange, removeContentLockFile } from '../../annex/index.js';
import type { Sink } from '../../annex/index.js';
import type { Lock } from '../../util/index.js';
import { DurableBatch, FerryError, errorMessage, mapPool } from '../../util/index.js';
import { ContentNotThereError } from '../errors.js';
import type { Remote, RemoteCapabilities, StoreItem, StoreOptions } from '../remote.js';
import { transferLock } from './transfer-lock.js';

/** Keys received at once when the caller does not say (-J). */
const STORE_JOBS = 8;
const TMP_CHUNK = 1000;

export class GitPathRemote implements Remote {
  readonly capabilities: RemoteCapabilities = { contentLocks: true, ownLog: true, transientReads: false };

  constructor(
    readonly name: string,
    readonly cost: number,
    /** The remote repository, opened. */
    private readonly there: Annex,
    /** This repository (for the transfer locks git-annex takes on both sides). */
    private readonly here: Annex,
  ) {}

  get uuid(): string {
    return this.there.uuid;
  }

  checkPresent(key: string): Promise<boolean> {
    return this.there.objects.has(key);
  }

  async retrieve(key: string, sink: Sink): Promise<void> {
    // git-annex records the other side of a local transfer as an upload from that repository.
    const lock = await transferLock(this.there.repo.layout, 'upload', this.here.uuid, key);
    try {
      const object = await this.there.objects.find(key);
      if (!object) throw new ContentNotThereError(this.name, key);
      await fileSource(object)(sink);
    } finally {
      lock?.release();
    }
  }

  async storeKeys(items: readonly StoreItem[], done: (key: string, err?: Error) => void, opts: StoreOptions = {}): Promise<void> {
    const layout = this.there.repo.layout;
    const durable = new DurableBatch();
    const placed: string[] = [];
    // In chunks, each durable in the temp area (one syncfs) and then moved under its keys before the next is
    // received: the temp directory never holds more than a chunk, whatever the caller's batch. Creating a
    // name in a directory that must grow cost this VM's ext4 several times more than reusing the space of
    // names just moved out; a syncfs per chunk costs 5–15 ms (docs/NOTES.md).
    for (let i = 0; i < items.length; i += TMP_CHUNK) {
      for (const r of await this.receiveChunk(items.slice(i, i + TMP_CHUNK), done, opts)) {
        try {
          if (r.tmp) await this.there.objects.renameIn(r.key, r.tmp, durable, { tmpDurable: true });
          placed.push(r.key);
        } catch (err) {
          done(r.key, err instanceof FerryError ? err : new Error(errorMessage(err)));
        }
      }
    }
    // Durable under their keys, then logged: the order of docs/NOTES.md.
    await durable.flush(layout.objectsDir);
    const changes = new Map(placed.map((k) => [locationLogPath(k), presenceChange(this.there.uuid, true)] as const));
    await this.there.branch.commit('update', changes);
    for (const k of placed) done(k);
  }

  /** Receives and verifies each key into its partial file (none where the remote has it), made durable. */
  private async receiveChunk(items: readonly StoreItem[], done: (key: string, err?: Error) => void, opts: StoreOptions): Promise<{ key: string; tmp: string }[]> {
    const layout = this.there.repo.layout;
    const durable = new DurableBatch();
    const received: { key: string; tmp: string }[] = [];
    await mapPool(items, opts.jobs ?? STORE_JOBS, async ({ key, src }) => {
      const locks: (Lock | undefined)[] = [];
      try {
        // Both ends' transfer locks, as git-annex takes them for a copy between two local repositories.
        locks.push(await transferLock(this.here.repo.layout, 'upload', this.there.uuid, key));
        locks.push(await transferLock(layout, 'download', this.here.uuid, key));
        if (await this.there.objects.has(key)) {
          received.push({ key, tmp: '' });
          return;
        }
        const tmp = await receiveToTmp(layout, key, `this repository (${src})`, fileSource(src),
          opts.progress ? (bytes) => opts.progress!(key, bytes) : undefined);
        durable.addFile(tmp);
        received.push({ key, tmp });
      } catch (err) {
        done(key, err instanceof Error ? err : new Error(errorMessage(err)));
      } finally {
        for (const lock of locks.reverse()) lock?.release();
      }
    });
    await durable.flush(layout.tmpDir);
    return received;
  }

  async remove(key: string, lock: Lock | undefined): Promise<void> {
    try {
      // The remote's log stops claiming the content before the content goes.
      await this.there.branch.change(new Map([[locationLogPath(key), presenceChange(this.there.uuid, false)]]));
      this.there.objects.dropObject(key);
      await this.there.branch.commit('update');
    } finally {
      lock?.release();
    }
    await removeContentLockFile(this.there.repo.layout, key);
  }

  lockContent(key: string, mode: 'shared' | 'exclusive'): Promise<Lock | undefined> {
    return lockContent(this.there.repo.layout, key, mode);
  }

  close(): void {
    this.there.close();
  }
}
