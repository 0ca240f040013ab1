// `ferry rejoin CODE [directory=PATH]` (docs/assistant.md "Shutting out a lost device"): an existing repository
// moves to the cloud that `ferry cloud rotate` made elsewhere. The new cloud's history marks the old one
// dead and carries the new cipher, so the order matters:
//   1. the git remote NAME-git is added with the store's self-contained URL (the secret reaches
//      git-remote-ferry's code through the environment only and is kept in a mode-600 key file);
//   2. the new cloud is fetched in-process as objects only — no ref is written, so nothing merges it yet;
//   3. every ferry:: git remote whose special remote the fetched trust.log marks dead is retired, and only
//      then are the refs written and the git-annex branch merged (after this the history holds the new
//      cipher, and a retired remote is never pushed to);
//   4. the special remote is enabled and the git remote becomes NAME-git = ferry::NAME, as join does; the
//      code's notifier settings, group client; then a sync with the new cloud merges its work and pushes ours.
// A directory store's path in the code is where the rotating machine sees it; when that folder does not
// hold the cloud, the same subfolder of this repository's own directory remotes is tried (rotate puts the
// new store inside the old one), then directory=PATH is asked for.
import { basename, join, resolve } from 'node:path';
import type { Annex } from '../annex/index.js';
import { runGit } from '../git/index.js';
import { annexCredsFile, enabledSpecialRemotes, specialRemoteRecords, writeAnnexCreds } from '../remotes/index.js';
import { FerryError, warn } from '../util/index.js';
import { becomeClient } from './cloud-create.js';
import { applyCodeSettings, cloneUrl, useCredentials } from './cloud-join.js';
import { checkCloudMarker } from './cloud-marker.js';
import { adoptCloudOrigins } from './cloud-origin.js';
import { resolveCloud } from './cloud-remote.js';
import { deadIn, retireDeadClouds } from './cloud-retired.js';
import { CloudSyncRemote } from './cloud-sync-remote.js';
import { decodeJoinCode } from './join-code.js';
import type { JoinCode } from './join-code.js';
import { gitRemoteSettings } from './remote-list.js';
import { syncRepository } from './sync.js';
import type { SyncEvents } from './sync-events.js';

export interface RejoinOptions {
  readonly code: string;
  /** Where this machine sees a directory store, instead of the path in the code. */
  readonly directory?: string;
  readonly cwd: string;
}

export interface RejoinResult {
  readonly name: string;
  readonly uuid: string;
  readonly gitRemote: string;
  /** False when this repository had the cloud already (a second run). */
  readonly added: boolean;
  /** The ferry:: git remotes retired because the new history marks their cloud dead. */
  readonly retired: readonly string[];
  readonly notify: readonly string[];
  readonly passwords: readonly string[];
  /** Steps of the closing sync that failed (0: merged and pushed). */
  readonly syncFailed: number;
}

export async function rejoinCloud(annex: Annex, opts: RejoinOptions, events: SyncEvents): Promise<RejoinResult> {
  const code = decodeJoinCode(opts.code);
  const gitRemote = `${code.name}-git`;
  const added = await checkNotOther(annex, code, gitRemote);
  const restoreCreds = useCredentials(code);
  const savedSecret = process.env.FERRY_SECRET;
  try {
    const retired: string[] = [];
    if (added) {
      const config = await findStore(annex, code, opts);
      if (code.cipher !== undefined) process.env.FERRY_SECRET = code.cipher;
      if (annex.repo.config.get(`remote.${gitRemote}.url`) === undefined) await runGit(annex.repo.git, ['remote', 'add', gitRemote, cloneUrl(code, config)]);
      await annex.repo.setConfig(`remote.${gitRemote}.ferry-uuid`, code.uuid);
      await annex.repo.reloadConfig();
      // Objects only: the refs (and with them the new cipher's way into our git-annex branch) wait for the retirements.
      const url = annex.repo.config.get(`remote.${gitRemote}.url`)!;
      const resolved = await resolveCloud(annex.repo, gitRemote, url.slice('ferry::'.length), (line) => warn(line));
      let heads: string[];
      try {
        const listing = await resolved.cloud.fetch();
        heads = [...listing.refs].filter(([ref]) => ref.endsWith('/git-annex')).map(([, sha]) => sha);
      } finally {
        await resolved.close();
      }
      retired.push(...await retireDeadClouds(annex, await deadIn(annex, heads), gitRemote));
    }
    const settings = gitRemoteSettings(annex).find((s) => s.name === gitRemote)!;
    const fetched = await new CloudSyncRemote(annex, settings).fetch();
    if (!fetched.ok) throw new FerryError(`could not fetch ${gitRemote}: ${fetched.error ?? 'failed'}`);
    // What the refs just written mark dead (a second run, or peers that pushed meanwhile): retired before the merge.
    retired.push(...await retireDeadClouds(annex, await deadIn(annex, await trackedAnnexHeads(annex, gitRemote)), gitRemote));
    await annex.branch.update();
    if (added) await adopt(annex, code, opts.cwd);
    if (code.s3Credentials !== undefined) await writeAnnexCreds(annexCredsFile(annex.repo.gitDir, code.uuid), code.s3Credentials);
    const passwords = await applyCodeSettings(annex.repo, gitRemote, code);
    await becomeClient(annex, annex.uuid);
    await annex.branch.commit('update');
    await annex.repo.reloadConfig();
    const { failed } = await syncRepository(annex, { remotes: [gitRemote], pull: true, push: true, content: false, allowUnrelatedHistories: false }, events);
    return { name: code.name, uuid: code.uuid, gitRemote, added, retired: [...new Set(retired)], notify: code.notify, passwords, syncFailed: failed };
  } finally {
    if (savedSecret === undefined) delete process.env.FERRY_SECRET;
    else process.env.FERRY_SECRET = savedSecret;
    restoreCreds();
  }
}

/**
 * Whether the cloud is still to be added (false: this repository has it enabled as NAME-git = ferry::NAME).
 * A special remote or git remote of that name that is another store is refused.
 */
async function checkNotOther(annex: Annex, code: JoinCode, gitRemote: string): Promise<boolean> {
  await annex.branch.update();
  const record = (await specialRemoteRecords(annex)).find((r) => r.config.get('name') === code.name);
  if (record !== undefined && record.uuid !== code.uuid) {
    throw new FerryError(`this repository has another special remote named ${code.name} (uuid ${record.uuid}), not the cloud of this code (${code.uuid})`, {
      hint: `free the name (ferry renameremote ${code.name} OTHER), then rejoin`,
    });
  }
  const url = annex.repo.config.get(`remote.${gitRemote}.url`);
  const enabled = enabledSpecialRemotes(annex).some((e) => e.uuid === code.uuid && e.name === code.name);
  if (url === `ferry::${code.name}` && enabled) return false;
  if (url !== undefined && annex.repo.config.get(`remote.${gitRemote}.ferry-uuid`) !== code.uuid) {
    throw new FerryError(`there is already a git remote ${gitRemote} (${url}), which is not this cloud`, { hint: `rename or remove it (git remote rename ${gitRemote} OTHER), then rejoin` });
  }
  return true;
}

/** The store's parameters on this machine, checked by its marker. */
async function findStore(annex: Annex, code: JoinCode, opts: RejoinOptions): Promise<Map<string, string>> {
  const config = new Map(Object.entries(code.params));
  const candidates: string[] = [];
  if (opts.directory !== undefined) candidates.push(resolve(opts.cwd, opts.directory));
  else if (code.type === 'directory') {
    const given = config.get('directory') ?? '';
    candidates.push(given);
    for (const { name } of enabledSpecialRemotes(annex)) {
      const dir = annex.repo.config.get(`remote.${name}.annex-directory`);
      if (dir !== undefined) candidates.push(join(dir, basename(given)));
    }
  }
  const at = (c: ReadonlyMap<string, string>) => ({ name: code.name, uuid: code.uuid, type: code.type, config: c, gitDir: annex.repo.gitDir });
  if (code.type !== 'directory') {
    await checkCloudMarker(at(config), true);
    return config;
  }
  let first: unknown;
  for (const dir of [...new Set(candidates)]) {
    const c = new Map(config).set('directory', dir);
    try {
      await checkCloudMarker(at(c), true);
      return c;
    } catch (err) {
      first ??= err;
    }
  }
  throw first;
}

/** The git-annex branches fetched from the cloud into refs/remotes/NAME-git/ (the per-peer ones too). */
async function trackedAnnexHeads(annex: Annex, gitRemote: string): Promise<string[]> {
  const r = await runGit(annex.repo.git, ['for-each-ref', '--format=%(objectname) %(refname)', `refs/remotes/${gitRemote}/`]);
  return r.stdout.toString('utf8').split('\n').filter((l) => l.endsWith('/git-annex')).map((l) => l.split(' ')[0]!);
}

/** The special remote enabled and the git remote made NAME-git = ferry::NAME, as join's ferry init does. */
async function adopt(annex: Annex, code: JoinCode, cwd: string): Promise<void> {
  const { adopted, failed } = await adoptCloudOrigins(annex, cwd);
  if (!adopted.some((a) => a.special === code.name)) {
    throw new FerryError(`could not enable special remote ${code.name}: ${failed.map((f) => f.reason).join('; ') || 'the cloud has no git-annex branch naming it'}`, {
      hint: 'the code may be older than a rename of the remote; make a new one with ferry cloud show-code',
    });
  }
}
