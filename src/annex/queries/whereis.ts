// Which repositories have each key's content, by the location logs (what `whereis` prints).
import { warn } from '../../util/index.js';
import type { Annex } from '../annex.js';
import { locationLogPath, parseLocationLog, presentUuids } from '../branch/index.js';
import type { Repositories, Repository } from './repositories.js';

export interface Whereabouts {
  readonly key: string;
  /** Repositories with a copy that counts (not untrusted, not dead), in uuid order. */
  readonly copies: readonly Repository[];
  /** Untrusted repositories that claim a copy. */
  readonly untrusted: readonly Repository[];
}

/** Where each of `keys` is, reading all their location logs in one pass. */
export async function whereabouts(annex: Annex, repos: Repositories, keys: readonly string[]): Promise<Map<string, Whereabouts>> {
  const unique = [...new Set(keys)];
  const logs = await annex.branch.getMany(unique.map(locationLogPath));
  const out = new Map<string, Whereabouts>();
  for (const key of unique) {
    const path = locationLogPath(key);
    const log = parseLocationLog(logs.get(path) ?? '');
    warnUnparsed(path, log.unparsed);
    const present = presentUuids(log).map((u) => repos.get(u)).filter((r) => r.trust !== 'dead');
    out.set(key, {
      key,
      copies: present.filter((r) => r.trust !== 'untrusted'),
      untrusted: present.filter((r) => r.trust === 'untrusted'),
    });
  }
  return out;
}

/**
 * Tells the user about location log lines ferry cannot read (another tool's, or damage). They are skipped
 * here, as git-annex skips them, and kept verbatim whenever ferry rewrites the log.
 */
export function warnUnparsed(path: string, unparsed: readonly string[]): void {
  for (const line of unparsed) warn(`git-annex:${path}: skipping a line that is not a location log entry: ${JSON.stringify(line)}`);
}
