// `ferry cloud gc` for the ferry:: git remotes of a repository (all of them, or those named).
import type { Annex } from '../annex/index.js';
import type { GcResult } from '../cloudgit/index.js';
import { warn } from '../util/index.js';
import { resolveCloud } from './cloud-remote.js';
import { RetiredRemoteError, isRetiredRemote } from './cloud-retired.js';
import { UnknownRemoteError } from './errors.js';

/** git remotes whose URL is ferry::…, by name. */
export function cloudGitRemotes(annex: Annex): Map<string, string> {
  const out = new Map<string, string>();
  for (const key of annex.repo.config.keysWithPrefix('remote.')) {
    const name = /^remote\.(.+)\.url$/.exec(key)?.[1];
    const url = annex.repo.config.get(key) ?? '';
    if (name !== undefined && url.startsWith('ferry::')) out.set(name, url);
  }
  return out;
}

export async function cloudGc(annex: Annex, names: readonly string[], opts: { full: boolean; graceMs: number }): Promise<{ remote: string; result: GcResult }[]> {
  const remotes = cloudGitRemotes(annex);
  for (const name of names) if (!remotes.has(name)) throw new UnknownRemoteError(name);
  const out: { remote: string; result: GcResult }[] = [];
  for (const [remote, url] of remotes) {
    if (names.length > 0 && !names.includes(remote)) continue;
    // gc writes (lost bundles put back, a --full manifest): never into a retired cloud.
    if (isRetiredRemote(annex.repo, remote)) {
      if (names.includes(remote)) throw new RetiredRemoteError(remote);
      continue;
    }
    const resolved = await resolveCloud(annex.repo, remote, url.slice('ferry::'.length), (line) => warn(line));
    try {
      out.push({ remote, result: await resolved.cloud.gc(opts) });
    } finally {
      await resolved.close();
    }
  }
  return out;
}
