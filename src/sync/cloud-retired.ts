// Retired clouds (`ferry cloud rotate`, `ferry rejoin`; docs/assistant.md "Shutting out a lost device"). After
// a rotation the git-annex branch holds the new cloud's cipher in remote.log, so it must never reach the old
// store again, where a lost device still reads with the old secret: a retired ferry:: git remote
// (`remote.NAME.ferry-retired=true`) is never pushed to — not by git-remote-ferry, not by `ferry sync`, not
// by the assistant — and the old special remote is made read-only so no new content goes there either.
import type { Annex, AnnexRepo } from '../annex/index.js';
import { uuidValues } from '../annex/index.js';
import { gitText } from '../git/index.js';
import type { GitEnv } from '../git/index.js';
import { FerryError } from '../util/index.js';

/** The git config key that retires a ferry:: git remote. */
export function retiredSetting(remote: string): string {
  return `remote.${remote}.ferry-retired`;
}

export class RetiredRemoteError extends FerryError {
  constructor(remote: string) {
    super(`${remote} is a retired cloud (${retiredSetting(remote)}=true): nothing is pushed to it, because this repository's history now holds the secret of the cloud that replaced it`, {
      data: { remote, setting: retiredSetting(remote) },
      hint: `sync with the new cloud instead (ferry sync; 'ferry remotes' lists them); 'git remote remove ${remote}' once you no longer read from it`,
    });
  }
}

/** Whether git remote `remote` is retired. */
export function isRetiredRemote(repo: AnnexRepo, remote: string): boolean {
  return repo.config.bool(retiredSetting(remote), false);
}

/** Throws RetiredRemoteError when git remote `remote` is retired: call it before any push to a cloud. */
export function assertNotRetired(repo: AnnexRepo, remote: string): void {
  if (isRetiredRemote(repo, remote)) throw new RetiredRemoteError(remote);
}

/**
 * Throws RetiredRemoteError when a write to the cloud `url` (what follows `ferry::`) would reach a retired
 * remote: `remote` itself, or a retired remote with the same URL when git was given the URL (`git push
 * ferry::NAME …`). It reads the git config afresh, not a cached copy: a long-running process (the assistant)
 * learns of a rotation made by another one. cloudgit calls it under the cloud's lock before each write, and
 * rotate retires under that lock, so no push that began before the retirement ends after it.
 */
export async function refuseRetiredWrite(git: GitEnv, remote: string | undefined, url: string): Promise<void> {
  const text = await gitText(git, ['config', '-z', '--get-regexp', '^remote\\..*\\.(url|ferry-retired)$'], { okCodes: [1] });
  const urls = new Map<string, string>();
  const retired = new Set<string>();
  for (const entry of text.split('\0')) {
    const nl = entry.indexOf('\n');
    const key = nl < 0 ? entry : entry.slice(0, nl);
    const value = nl < 0 ? 'true' : entry.slice(nl + 1);
    const m = /^remote\.(.+)\.(url|ferry-retired)$/.exec(key);
    if (m === null) continue;
    if (m[2] === 'url') urls.set(m[1]!, value);
    else if (/^(true|yes|on|1)$/i.test(value)) retired.add(m[1]!);
  }
  if (remote !== undefined && retired.has(remote)) throw new RetiredRemoteError(remote);
  const base = (u: string) => u.replace(/^ferry::/, '').replace(/\?.*$/, '');
  for (const name of retired) if (base(urls.get(name) ?? '') === base(url)) throw new RetiredRemoteError(name);
}

/** The special remote a ferry:: git remote's cloud belongs to: its uuid, and its name when it is enabled here. */
export function cloudSpecialOf(annex: Annex, remote: string): { uuid: string | undefined; name: string | undefined } {
  const url = annex.repo.config.get(`remote.${remote}.url`) ?? '';
  const target = url.replace(/^ferry::/, '').replace(/\?.*$/, '');
  const config = annex.repo.config;
  if (config.get(`remote.${target}.annex-uuid`) !== undefined && config.get(`remote.${target}.url`) === undefined) {
    return { uuid: config.get(`remote.${target}.annex-uuid`), name: target };
  }
  return { uuid: config.get(`remote.${remote}.ferry-uuid`), name: undefined };
}

/**
 * Retires git remote `remote`: the setting, and `annex-readonly` on the special remote of its cloud (git-annex
 * and ferry then send it no content, though it can still be read from). `successor` is recorded as
 * `remote.NAME.ferry-rotated-to`, so a rotation cut short resumes with the same new cloud.
 */
export async function retireRemote(annex: Annex, remote: string, successor?: string): Promise<void> {
  await annex.repo.setConfig(retiredSetting(remote), 'true');
  if (successor !== undefined) await annex.repo.setConfig(`remote.${remote}.ferry-rotated-to`, successor);
  const { name } = cloudSpecialOf(annex, remote);
  if (name !== undefined) await annex.repo.setConfig(`remote.${name}.annex-readonly`, 'true');
  await annex.repo.reloadConfig();
}

/** The uuids trust.log marks dead in the union of the git-annex branches `commits` (read without merging them). */
export async function deadIn(annex: Annex, commits: readonly string[]): Promise<Set<string>> {
  let text = '';
  for (const commit of commits) {
    text += await gitText(annex.repo.git, ['cat-file', '-p', `${commit}:trust.log`], { okCodes: [128] }); // 128: no trust.log
    text += '\n';
  }
  // Old-style uuid log (annex-format §3.2): the newest line per uuid wins across the branches, as a union merge gives.
  return new Set([...uuidValues(text)].filter(([, v]) => v === 'X').map(([u]) => u));
}

/**
 * Retires every ferry:: git remote (but `except`) whose cloud's special remote is in `dead`; returns them
 * (those retired before too). The caller runs it before a branch that marks them dead is merged into this repository's.
 */
export async function retireDeadClouds(annex: Annex, dead: ReadonlySet<string>, except: string): Promise<string[]> {
  const retired: string[] = [];
  const remotes = [...annex.repo.config.keysWithPrefix('remote.')]
    .map((k) => /^remote\.(.+)\.url$/.exec(k)?.[1])
    .filter((r): r is string => r !== undefined && (annex.repo.config.get(`remote.${r}.url`) ?? '').startsWith('ferry::'));
  for (const remote of remotes) {
    if (remote === except) continue;
    const { uuid } = cloudSpecialOf(annex, remote);
    if (uuid === undefined || !dead.has(uuid)) continue;
    if (!isRetiredRemote(annex.repo, remote)) await retireRemote(annex, remote);
    retired.push(remote);
  }
  return retired;
}
