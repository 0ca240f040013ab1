// Everything a cloudgit operation works with, given by the caller (sync/ resolves a ferry:: URL into it):
// the Store and where in it, the secret's keys, the remote's uuid, this peer's identity, and the repository.
import type { GitEnv } from '../git/index.js';
import type { Store } from '../remotes/index.js';
import { CloudNames, cloudKeys } from './keys.js';
import type { CloudKeys } from './keys.js';
import { StateDir } from './state.js';

export interface CloudGitOptions {
  readonly store: Store;
  /** Prefix of every name in the store (an S3 remote's fileprefix; '' for a directory). */
  readonly prefix: string;
  /** The repository secret: the special remote's cipher, or for a plaintext remote its uuid. */
  readonly secret: Uint8Array;
  /** The special remote's uuid, bound into every sealed object. */
  readonly uuid: string;
  /** This repository as a peer of the cloud: 128 random bits (hex), and its install fingerprint's hash. */
  readonly peer: string;
  readonly install: string;
  /** This repository's git-annex uuid, published in its manifests so others can name it (status, retirement). */
  readonly repo?: string;
  /** The repository to fetch into and push from. */
  readonly git: GitEnv;
  /** .git/ferry/cloudgit/<uuid>: local state, lock and temp files. */
  readonly stateDir: string;
  /** How long a listed bundle may be missing before fetch reports it (default 10 minutes). */
  readonly graceMs?: number;
  /** Progress and warnings for a person (stderr of the helper). */
  readonly say?: (line: string) => void;
  /**
   * Called under the cloud's lock before a push or gc writes to the store; what it throws refuses the write
   * (sync/ refuses retired clouds this way, reading the setting afresh).
   */
  readonly beforeWrite?: () => Promise<void>;
}

export interface CloudContext extends CloudGitOptions {
  readonly keys: CloudKeys;
  readonly names: CloudNames;
  readonly state: StateDir;
  readonly graceMs: number;
  readonly say: (line: string) => void;
}

const GRACE_MS = 10 * 60_000;

export function cloudContext(opts: CloudGitOptions): CloudContext {
  const keys = cloudKeys(opts.secret);
  return {
    ...opts, keys, names: new CloudNames(opts.prefix, keys), state: new StateDir(opts.stateDir),
    graceMs: opts.graceMs ?? GRACE_MS, say: opts.say ?? (() => undefined),
  };
}
