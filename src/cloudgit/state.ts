// What one repository remembers about one cloud (docs/cloudgit-format.md "Local state"), in
// .git/ferry/cloudgit/<peer>/state.json: its own sequence number, refs and bundles (with the parts
// consolidation needs), and for every other peer the last manifest whose bundles are all
// applied here. Replaced atomically; losing it costs downloads, never correctness (the cloud is the truth).
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BundlePart } from '../git/index.js';
import { isNotFound, lockExclusive, warn, writeFileAtomic } from '../util/index.js';
import type { Lock } from '../util/index.js';
import type { BundleEntry, Manifest } from './manifest.js';

export interface OwnBundle extends BundleEntry {
  /**
   * What the bundle holds, to rebuild or merge it: the union of what each part's tips reach and its
   * prerequisites do not (one part, except for a merge no single pair describes). Empty when unknown (state lost).
   */
  readonly parts: readonly BundlePart[];
}

export interface PeerRecord {
  /** The store's name and etag of the manifest last read, to skip reading it again when unchanged. */
  readonly name: string;
  readonly etag: string;
  /** The newest manifest of this peer whose bundles are all applied here. */
  readonly manifest: Manifest;
}

export interface CloudState {
  /** Own sequence number last published; 0 before the first push. */
  seq: number;
  since: string | undefined;
  refs: Record<string, string>;
  head: string | undefined;
  bundles: OwnBundle[];
  peers: Record<string, PeerRecord>;
  /** Bundle ids whose objects are in this repository. */
  applied: string[];
  /** When a listed bundle was first found missing (the grace period of "cloud incomplete"). */
  missingSince: Record<string, string>;
  /** When gc first found a bundle that no manifest lists (deleted once that is older than its grace period). */
  unlistedSince: Record<string, string>;
}

function fresh(): CloudState {
  return { seq: 0, since: undefined, refs: {}, head: undefined, bundles: [], peers: {}, applied: [], missingSince: {}, unlistedSince: {} };
}

export class StateDir {
  constructor(readonly dir: string) {}

  get tmp(): string {
    return join(this.dir, 'tmp');
  }

  /** Takes the cloud's lock (one push or fetch per repository and cloud at a time) and clears stale temp files. */
  async lock(): Promise<Lock> {
    await mkdir(this.tmp, { recursive: true });
    const lock = await lockExclusive(join(this.dir, 'lock'));
    for (const name of await readdir(this.tmp)) await rm(join(this.tmp, name), { force: true, recursive: true });
    return lock;
  }

  async load(): Promise<CloudState> {
    const path = join(this.dir, 'state.json');
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if (isNotFound(err)) return fresh();
      throw err;
    }
    try {
      const state = { ...fresh(), ...(JSON.parse(text) as Partial<CloudState>) };
      // A bundle whose parts were not recorded is kept but never rebuilt or merged (as after a lost state).
      state.bundles = state.bundles.map((b) => (Array.isArray(b.parts) ? b : { ...b, parts: [] }));
      return state;
    } catch {
      warn(`${path} is damaged; starting over from what the cloud holds (bundles may be downloaded again)`);
      return fresh();
    }
  }

  async save(state: CloudState): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomic(join(this.dir, 'state.json'), `${JSON.stringify(state)}\n`, { fsync: true });
  }
}
