// The git remotes of a repository as content sources and destinations. Only remotes reachable as a path
// (another clone on this disk, a USB stick, NFS, a bare repository) can carry content today; ssh and http
// remotes still sync at the git level, and for content get one line saying why they are skipped, the way
// git-annex skips an annex-ignore remote.
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Annex } from '../../annex/index.js';

/** git-annex's cost for a repository on a local path (cheapRemoteCost). */
export const LOCAL_COST = 100;
/** git-annex's cost for an ssh remote (expensiveRemoteCost), used only for ordering. */
export const EXPENSIVE_COST = 200;

export interface GitRemoteConfig {
  readonly name: string;
  readonly url: string;
  readonly cost: number;
  /** The remote's annex.uuid as this repository last saw it (remote.NAME.annex-uuid). */
  readonly uuid: string | undefined;
  /** The local path of the repository, when the URL names one. */
  readonly path: string | undefined;
  /** Why content cannot go to or come from it, or undefined when it can. */
  readonly skip: string | undefined;
}

/** Every git remote with a URL, in cost order (then name order, as git-annex breaks ties). */
export function gitRemotes(annex: Annex): GitRemoteConfig[] {
  const config = annex.repo.config;
  const names = new Set<string>();
  for (const key of config.keysWithPrefix('remote.')) {
    const m = /^remote\.(.+)\.url$/.exec(key);
    if (m) names.add(m[1]!);
  }
  const base = annex.repo.top ?? annex.repo.gitDir;
  const out: GitRemoteConfig[] = [];
  for (const name of names) {
    const url = config.get(`remote.${name}.url`)!;
    const path = localPath(url, base);
    const configuredCost = Number(config.get(`remote.${name}.annex-cost`));
    let skip: string | undefined;
    if (config.bool(`remote.${name}.annex-ignore`, false)) skip = 'annex-ignore is set';
    else if (path === undefined) {
      const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase() ?? 'ssh'; // host:path is ssh
      skip = scheme === 'ssh' || scheme === 'git+ssh' || scheme === 'ssh+git'
        ? 'content over ssh needs git-annex-shell: not supported yet'
        : `content over ${scheme}: not supported yet`;
    }
    out.push({
      name,
      url,
      path,
      skip,
      uuid: config.get(`remote.${name}.annex-uuid`),
      cost: Number.isFinite(configuredCost) && config.get(`remote.${name}.annex-cost`) !== undefined
        ? configuredCost
        : path !== undefined ? LOCAL_COST : EXPENSIVE_COST,
    });
  }
  return out.sort((a, b) => a.cost - b.cost || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The local path a remote URL names (a path, relative to the repository, or file://), else undefined. */
export function localPath(url: string, base: string): string | undefined {
  if (url.startsWith('file://')) return fileURLToPath(url);
  if (isAbsolute(url)) return url;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return undefined; // ssh://, http(s)://, git://, ...
  if (/^[^/]+:/.test(url) && !url.startsWith('./') && !url.startsWith('../')) return undefined; // scp-like host:path
  return resolve(base, url);
}
