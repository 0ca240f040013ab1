// Which git remotes a sync talks to, and in which order, as git-annex 10.20230126 picks them (Command/
// Sync.hs syncRemotes, checked in the lab): with no names, every remote with a URL whose annex-sync is not
// false, by cost (remote.NAME.annex-cost, else 100 for a local path and 200 for any URL), equal costs in
// descending name order; with names, exactly those remotes (or remotes.GROUP groups) in the order given,
// annex-sync notwithstanding.
import type { Annex } from '../annex/index.js';
import { LOCAL_COST, localPath } from '../remotes/index.js';
import { UnknownRemoteError } from './errors.js';

/** git-annex's expensiveRemoteCost (Config/Cost.hs), for a remote that is not a local path. */
const URL_REMOTE_COST = 200;

export interface GitRemoteSettings {
  readonly name: string;
  readonly url: string;
  /** The repository's directory when the URL names a local path (a path, relative path or file://). */
  readonly path: string | undefined;
  readonly cost: number;
  /** remote.NAME.annex-sync: synced when no remote is named (default true). */
  readonly sync: boolean;
  /** remote.NAME.annex-pull (default true). */
  readonly pull: boolean;
  /** remote.NAME.annex-push and not remote.NAME.annex-readonly (default true). */
  readonly push: boolean;
  /** remote.NAME.annex-ignore: "no content here"; a local one is also left out of a sync that names no remote. */
  readonly ignore: boolean;
}

/** Every git remote of the repository (one with remote.NAME.url), in config order. */
export function gitRemoteSettings(annex: Annex): GitRemoteSettings[] {
  const config = annex.repo.config;
  const base = annex.repo.top ?? annex.repo.gitDir;
  const out: GitRemoteSettings[] = [];
  for (const key of config.keysWithPrefix('remote.')) {
    const name = /^remote\.(.+)\.url$/.exec(key)?.[1];
    if (name === undefined) continue;
    const url = config.get(key)!;
    const path = localPath(url, base);
    const costText = config.get(`remote.${name}.annex-cost`);
    const cost = costText !== undefined && costText.trim() !== '' && Number.isFinite(Number(costText)) ? Number(costText) : undefined;
    out.push({
      name,
      url,
      path,
      cost: cost ?? (path !== undefined ? LOCAL_COST : URL_REMOTE_COST),
      sync: config.bool(`remote.${name}.annex-sync`, true),
      pull: config.bool(`remote.${name}.annex-pull`, true),
      push: config.bool(`remote.${name}.annex-push`, true) && !config.bool(`remote.${name}.annex-readonly`, false),
      ignore: config.bool(`remote.${name}.annex-ignore`, false),
    });
  }
  return out;
}

/**
 * The remotes a sync with `names` (remote names or remotes.GROUP groups; none: all) talks to, in order.
 * Throws UnknownRemoteError for a name that is neither.
 */
export function selectRemotes(annex: Annex, names: readonly string[]): GitRemoteSettings[] {
  const all = gitRemoteSettings(annex);
  if (names.length === 0) {
    // git-annex skips a local remote it does not read the config of (annex-ignore): its location is
    // unknown, so it counts as unavailable. URL remotes with annex-ignore (a plain git server) still sync.
    return all
      .filter((r) => r.sync && !(r.ignore && r.path !== undefined))
      .sort((a, b) => a.cost - b.cost || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
  }
  const byName = new Map(all.map((r) => [r.name, r]));
  const selected: GitRemoteSettings[] = [];
  for (const name of names) {
    const group = annex.repo.config.get(`remotes.${name}`);
    const members = group === undefined ? [name] : group.split(/\s+/).filter(Boolean);
    for (const m of members) {
      const r = byName.get(m);
      if (r === undefined) {
        if (group === undefined) throw new UnknownRemoteError(m);
        continue; // git-annex skips group members that do not exist
      }
      if (!selected.includes(r)) selected.push(r);
    }
  }
  return selected;
}
