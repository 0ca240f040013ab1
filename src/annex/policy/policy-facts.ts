// What a Policy is built from: the settings read from the git-annex branch, and the lookups that need
// I/O. Policy.load builds both from a repository; tests build them from plain data.
import type { NumCopies } from '../queries/numcopies.js';
import type { TrustLevel } from '../queries/repositories.js';
import type { MetaData } from './metadata.js';

/** The settings, as read from the git-annex branch (and git config, for trust overrides). */
export interface PolicySettings {
  readonly here: string;
  /** preferred-content.log: uuid → expression as logged (possibly "", possibly unparseable). */
  readonly preferred: ReadonlyMap<string, string>;
  /** required-content.log. */
  readonly required: ReadonlyMap<string, string>;
  /** group.log. */
  readonly groups: ReadonlyMap<string, ReadonlySet<string>>;
  /** group-preferred-content.log: group → expression. */
  readonly groupWanted: ReadonlyMap<string, string>;
  /** Effective trust: trust.log, overridden by remote.NAME.annex-trustlevel. */
  trust(uuid: string): TrustLevel;
  /** remote.log's config of a special remote (for `preferreddir=`). */
  remoteConfig(uuid: string): ReadonlyMap<string, string> | undefined;
}

/** The lookups that need I/O, made only when an expression asks. */
export interface PolicyProbes {
  hasContentHere(key: string): Promise<boolean>;
  metadata(key: string): Promise<MetaData>;
  isUnused(key: string): Promise<boolean>;
  /** numcopies/mincopies per path; see queries/numcopies.ts for the order of sources. */
  readonly copies: Pick<NumCopies, 'forFile' | 'minForFile' | 'globalForFile'>;
  close(): void;
}
