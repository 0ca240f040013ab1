// Which cloud a store holds, by the clear marker cloudgit writes on the first push (`ferry-git/v1/uuid`,
// docs/cloudgit-format.md "Names"). A directory store's path is local to each machine, so join and
// enableremote check it: the folder must hold the cloud of the special remote being enabled, not another
// one, and, where this repository already uses that cloud (a ferry:: remote), not none at all.
import { isAbsolute, resolve } from 'node:path';
import type { Annex } from '../annex/index.js';
import { readCloudUuid } from '../cloudgit/index.js';
import { enableRemote, findSpecialRemote, openTypeStore, specialType } from '../remotes/index.js';
import type { ConfiguredRemote } from '../remotes/index.js';
import { FerryError } from '../util/index.js';
import { cloudGitRemotes } from './cloud-gc.js';

export class WrongCloudError extends FerryError {
  constructor(where: string, found: string | undefined, uuid: string, name: string) {
    super(found === undefined
      ? `there is no ferry cloud at ${where}: it lacks the marker ferry-git/v1/uuid that ${name}'s store has`
      : `${where} holds another cloud (uuid ${found}), not ${name}'s (uuid ${uuid})`, {
      data: { where, found, expected: uuid, remote: name },
      hint: found === undefined
        ? 'check the path (is the disk or share mounted?), or give where this machine sees the store: directory=PATH'
        : 'give the folder that holds this cloud: directory=PATH',
    });
  }
}

export interface StoreLocation {
  readonly name: string;
  readonly uuid: string;
  readonly type: string;
  readonly config: ReadonlyMap<string, string>;
  /** For the S3 credentials cache (.git/annex/creds); any path when there is no repository yet. */
  readonly gitDir: string;
}

/** The uuid of the cloud the store holds, or undefined when it holds none. */
export async function storeCloudUuid(at: StoreLocation): Promise<{ found: string | undefined; description: string }> {
  const type = specialType(at.type);
  if (type === undefined) throw new FerryError(`type=${at.type} cannot hold a ferry cloud`);
  const store = await openTypeStore(type, { name: at.name, uuid: at.uuid, gitDir: at.gitDir, config: at.config });
  try {
    return { found: await readCloudUuid(store, ''), description: store.description };
  } finally {
    await store.close();
  }
}

/** Throws WrongCloudError unless the store holds the cloud `at.uuid` (or, when not `required`, none). */
export async function checkCloudMarker(at: StoreLocation, required: boolean): Promise<void> {
  const { found, description } = await storeCloudUuid(at);
  if (found === at.uuid || (found === undefined && !required)) return;
  throw new WrongCloudError(description, found, at.uuid, at.name);
}

/** True when a ferry:: git remote of this repository is the cloud of the special remote `uuid`. */
function usesCloudOf(annex: Annex, name: string, uuid: string): boolean {
  for (const [remote, url] of cloudGitRemotes(annex)) {
    const target = url.slice('ferry::'.length).replace(/\?.*$/, '');
    if (target === name || target === uuid || annex.repo.config.get(`remote.${remote}.ferry-uuid`) === uuid) return true;
  }
  return false;
}

/**
 * `ferry enableremote` with the marker check: a directory remote's folder must not hold another cloud, and
 * must hold this one when this repository already uses it as a ferry:: remote.
 */
export async function enableCheckedRemote(annex: Annex, name: string, params: ReadonlyMap<string, string>, cwd: string): Promise<ConfiguredRemote> {
  await annex.branch.update();
  const record = await findSpecialRemote(annex, name);
  const remoteName = record.config.get('name') ?? name;
  const given = params.get('directory');
  const dir = given !== undefined ? (isAbsolute(given) ? given : resolve(cwd, given)) : annex.repo.config.get(`remote.${remoteName}.annex-directory`);
  if (record.config.get('type') === 'directory' && dir !== undefined) {
    await checkCloudMarker({ name: remoteName, uuid: record.uuid, type: 'directory', config: new Map([['directory', dir]]), gitDir: annex.repo.gitDir },
      usesCloudOf(annex, remoteName, record.uuid));
  }
  return enableRemote(annex, name, params, cwd);
}
