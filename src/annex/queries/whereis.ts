// Which repositories have each key's content, by the location logs (what `whereis` prints).
import type { Annex } from '../annex.js';
import { locationLogPath, presentIn } from '../branch/index.js';
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
    const present = presentIn(logs.get(locationLogPath(key)) ?? '').map((u) => repos.get(u)).filter((r) => r.trust !== 'dead');
    out.set(key, {
      key,
      copies: present.filter((r) => r.trust !== 'untrusted'),
      untrusted: present.filter((r) => r.trust === 'untrusted'),
    });
  }
  return out;
}
