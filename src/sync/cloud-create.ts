// `ferry cloud create NAME type=… …` (ARCHITECTURE "Joining"): the special remote NAME (encryption=shared,
// chunk=8MiB unless given) in group transfer with `wanted standard`, the git remote NAME-git = ferry::NAME
// in the same store, its notifier settings, this repository in group client, annex.addunlocked, a push,
// and the join code. Run again it checks that NAME is the same store and does the rest again; it never
// makes a second store: a NAME that is another store, or a folder holding another cloud, is refused
// before anything is written.
import { isAbsolute, resolve } from 'node:path';
import type { Annex } from '../annex/index.js';
import { changeGroup, contentExpression, repositoryGroups, setContentExpression } from '../annex/index.js';
import { runGit } from '../git/index.js';
import { parseNotifierSpec } from '../notify/index.js';
import { BadRemoteConfigError, enabledSpecialRemotes, initRemote, specialRemoteRecords } from '../remotes/index.js';
import { FerryError, UsageError } from '../util/index.js';
import { buildJoinCode } from './cloud-code.js';
import { WrongCloudError, checkCloudMarker } from './cloud-marker.js';
import { CloudSyncRemote } from './cloud-sync-remote.js';
import { gitRemoteSettings } from './remote-list.js';

/** 8 MiB chunks: an interrupted upload resumes from its last chunk, and a GiB costs 128 requests. */
export const DEFAULT_CHUNK = '8MiB';

/** Where a store is: the parameters that, when equal, make two descriptions the same store. */
const LOCATION: Readonly<Record<string, readonly string[]>> = {
  directory: ['directory'],
  S3: ['bucket', 'host', 'port', 'protocol', 'fileprefix'],
};

export interface CloudCreateOptions {
  readonly name: string;
  /** type=… and the store's parameters, as initremote takes them. */
  readonly params: ReadonlyMap<string, string>;
  /** --notify values; undefined: leave the settings as they are (none on a new cloud); `none`: no notifier. */
  readonly notify: readonly string[] | undefined;
  readonly plaintext: boolean;
  readonly embedCredentials: boolean;
  readonly cwd: string;
}

export interface CloudCreateResult {
  readonly name: string;
  readonly uuid: string;
  /** False when NAME already was this store (a second run). */
  readonly created: boolean;
  readonly gitRemote: string;
  readonly notify: readonly string[];
  /** This repository's groups when it had some already (left as they were); empty when it joined client. */
  readonly keptGroups: readonly string[];
  readonly code: string;
}

export async function createCloud(annex: Annex, opts: CloudCreateOptions): Promise<CloudCreateResult> {
  const { name } = opts;
  const gitRemote = `${name}-git`;
  const type = opts.params.get('type');
  if (type !== 'directory' && type !== 'S3') throw new BadRemoteConfigError('type', `ferry cloud create makes type=directory or type=S3 stores, got '${type ?? ''}'`);
  const encryption = opts.plaintext ? 'none' : 'shared';
  const asked = opts.params.get('encryption');
  if (asked !== undefined && asked !== encryption) {
    throw new UsageError(`encryption=${asked}: cloud create uses encryption=shared, or encryption=none with --plaintext`);
  }
  const notify = checkNotify(opts.notify);
  const url = `ferry::${name}${opts.plaintext ? '?plaintext=yes' : ''}`;
  const currentUrl = annex.repo.config.get(`remote.${gitRemote}.url`);
  if (currentUrl !== undefined && currentUrl !== url) {
    throw new FerryError(`there is already a git remote ${gitRemote} (${currentUrl}), which is not ${url}`, { hint: `rename or remove it (git remote rename ${gitRemote} OTHER), or pick another NAME` });
  }

  await annex.branch.update();
  const record = (await specialRemoteRecords(annex)).find((r) => r.config.get('name') === name);
  let uuid: string;
  if (record !== undefined) {
    checkSameStore(annex, name, record, type, encryption, opts);
    uuid = record.uuid;
  } else {
    const params = new Map(opts.params);
    params.set('encryption', encryption);
    if (!params.has('chunk')) params.set('chunk', DEFAULT_CHUNK);
    const dir = params.get('directory');
    if (type === 'directory' && dir !== undefined) {
      // A folder that already holds a cloud is another store: never make a second one on top of it.
      await checkCloudMarker({ name, uuid: '(new)', type, config: new Map([['directory', absolute(dir, opts.cwd)]]), gitDir: annex.repo.gitDir }, false)
        .catch((err: unknown) => {
          throw err instanceof WrongCloudError ? new FerryError(`${absolute(dir, opts.cwd)} already holds a ferry cloud; cloud create never makes a second store there`, { hint: 'give an empty folder, or join that cloud with its code (ferry join CODE)', cause: err }) : err;
        });
    }
    uuid = (await initRemote(annex, name, params, opts.cwd)).uuid;
  }

  if (currentUrl === undefined) await runGit(annex.repo.git, ['remote', 'add', gitRemote, url]);
  await annex.repo.setConfig(`remote.${gitRemote}.annex-ignore`, 'true');
  await annex.repo.setConfig(`remote.${gitRemote}.prune`, 'true');
  if (notify !== undefined) {
    await runGit(annex.repo.git, ['config', '--unset-all', `remote.${gitRemote}.ferry-notify`], { okCodes: [5] });
    for (const value of notify) await runGit(annex.repo.git, ['config', '--add', `remote.${gitRemote}.ferry-notify`, value]);
  }
  // The cloud is a transient bridge (git-annex's `transfer` group); this repository a `client`, whose
  // copies let the transfer expression (`copies=client:2` …) drop the cloud's copy once both clients have it.
  if (!(await repositoryGroups(annex, uuid)).includes('transfer')) await changeGroup(annex, uuid, 'transfer');
  if ((await contentExpression(annex, 'wanted', uuid)) === undefined) await setContentExpression(annex, 'wanted', uuid, 'standard');
  const keptGroups = await becomeClient(annex, annex.uuid);
  await annex.branch.commit('update');
  await annex.repo.reloadConfig();
  const { code } = await buildJoinCode(annex, name, { embedCredentials: opts.embedCredentials });
  const result = {
    name, uuid, created: record === undefined, gitRemote, keptGroups, code,
    notify: annex.repo.config.getAll(`remote.${gitRemote}.ferry-notify`),
  };
  await pushCloud(annex, gitRemote); // last: the code needs nothing pushed, and a failed push says how to finish
  return result;
}

/**
 * A repository that syncs through the cloud (create and join): group `client` with `wanted standard` unless
 * it has a group already (returned, left as they were), and new files unlocked, as an assistant's folder
 * wants them. The caller commits the git-annex branch.
 */
export async function becomeClient(annex: Annex, uuid: string): Promise<string[]> {
  const kept = await repositoryGroups(annex, uuid);
  if (kept.length === 0) {
    await changeGroup(annex, uuid, 'client');
    await setContentExpression(annex, 'wanted', uuid, 'standard');
  }
  await annex.repo.setConfig('annex.addunlocked', 'true');
  return [...kept];
}

function absolute(path: string, cwd: string): string {
  return isAbsolute(path) ? path : resolve(cwd, path);
}

/** --notify values checked; `none` (alone) means no notifier, poll only. */
function checkNotify(values: readonly string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  const kept = values.filter((v) => v !== 'none');
  if (kept.length !== values.length && kept.length > 0) throw new UsageError('--notify none cannot be combined with other notifiers');
  for (const v of kept) parseNotifierSpec(v); // throws NotifierConfigError naming the value
  return kept;
}

/** NAME exists: go on only when it is the store described, enabled here; otherwise refuse. */
function checkSameStore(annex: Annex, name: string, record: { uuid: string; config: ReadonlyMap<string, string> }, type: string, encryption: string, opts: CloudCreateOptions): void {
  const refuse = (why: string, hint = `pick another NAME, or run 'ferry cloud show-code ${name}' for the existing one`): never => {
    throw new FerryError(`there is already a special remote ${name}, and ${why}`, { data: { name, uuid: record.uuid }, hint });
  };
  if (!enabledSpecialRemotes(annex).some((e) => e.uuid === record.uuid)) {
    refuse('it is not enabled in this repository', `enable it first (ferry enableremote ${name} …), then run cloud create again, or pick another NAME`);
  }
  if (record.config.get('type') !== type) refuse(`it is of type ${record.config.get('type') ?? '?'}, not ${type}`);
  if ((record.config.get('encryption') ?? 'none') !== encryption) refuse(`it has encryption=${record.config.get('encryption') ?? 'none'}, not ${encryption}`);
  for (const key of LOCATION[type] ?? []) {
    const given = opts.params.get(key);
    if (given === undefined) continue;
    const held = key === 'directory' ? annex.repo.config.get(`remote.${name}.annex-directory`) : record.config.get(key);
    const same = key === 'directory' ? held !== undefined && resolve(held) === absolute(given, opts.cwd) : held === given;
    if (!same) refuse(`its ${key} is ${held ?? 'unset'}, not ${given}: it is another store`);
  }
}

/** Pushes the current branch and git-annex to the cloud, in-process, as `ferry sync NAME-git` does. */
export async function pushCloud(annex: Annex, gitRemote: string): Promise<void> {
  const settings = gitRemoteSettings(annex).find((s) => s.name === gitRemote);
  if (settings === undefined) throw new FerryError(`git remote ${gitRemote} vanished while cloud create ran`);
  const head = await runGit(annex.repo.git, ['symbolic-ref', '-q', 'HEAD'], { okCodes: [1] });
  const ref = head.stdout.toString('utf8').trim();
  const branch = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : 'main';
  const result = await new CloudSyncRemote(annex, settings).push(branch);
  if (result.status === 'failed') {
    throw new FerryError(`could not push to ${gitRemote}: ${result.error ?? 'refused'}`, { hint: `the cloud is set up; push again with 'ferry sync ${gitRemote}', then 'ferry cloud show-code'` });
  }
}
