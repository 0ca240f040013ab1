// initremote, enableremote and renameremote as git-annex does them, so either tool can enable a remote the
// other made: the shared parameters in remote.log, this clone's own ones (directory=) and the remote's uuid
// in git config as remote.NAME.annex-*, and the medium prepared (checked, bucket made) before anything is
// recorded, so a failed initremote leaves nothing behind.
import { randomUUID } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { Annex } from '../../annex/index.js';
import { runGit } from '../../git/index.js';
import { FerryError, UsageError } from '../../util/index.js';
import { newCipherConfig } from './cipher.js';
import { enabledSpecialRemotes } from './open.js';
import { BadRemoteConfigError, COMMON_PARAMS, checkParams } from './config.js';
import { findSpecialRemote, specialRemoteRecords, writeSpecialConfig } from './remote-log.js';
import { specialType, specialTypeNames } from './types/registry.js';
import type { SpecialType, TypeContext } from './types/type.js';

export interface ConfiguredRemote {
  readonly name: string;
  readonly uuid: string;
  readonly type: string;
  readonly encryption: string;
}

export class RemoteNameTakenError extends FerryError {
  constructor(name: string, what: string) {
    super(`there is already ${what} named ${name}`, {
      data: { name },
      hint: what.startsWith('a special')
        ? `use 'ferry enableremote ${name}' to enable it here, or 'ferry renameremote ${name} NEWNAME' to free the name`
        : 'pick another name',
    });
  }
}

/** `ferry initremote NAME type=… encryption=… [param=value …]`. */
export async function initRemote(annex: Annex, name: string, params: ReadonlyMap<string, string>, cwd: string): Promise<ConfiguredRemote> {
  checkRemoteName(name);
  await annex.branch.update(); // other clones' remotes too, so a name they took is not taken twice
  const typeName = params.get('type');
  if (typeName === undefined) throw new BadRemoteConfigError('type', `missing; one of ${specialTypeNames().join(', ')}`);
  const type = typeOrThrow(typeName);
  if ((await specialRemoteRecords(annex)).some((r) => r.config.get('name') === name)) throw new RemoteNameTakenError(name, 'a special remote');
  if (annex.repo.config.get(`remote.${name}.url`) !== undefined || annex.repo.config.get(`remote.${name}.annex-uuid`) !== undefined) {
    throw new RemoteNameTakenError(name, 'a git remote');
  }
  const given = new Map(params);
  given.delete('type');
  checkParams(given, [...COMMON_PARAMS, ...type.params], type.name);
  for (const spec of [...COMMON_PARAMS, ...type.params]) {
    if (spec.required && !given.has(spec.name)) {
      throw new BadRemoteConfigError(spec.name, `required for type=${type.name}: ${spec.help}`,
        spec.name === 'encryption' ? 'say encryption=shared (encrypted, the key in the git-annex branch) or encryption=none' : undefined);
    }
  }
  const uuid = randomUUID();
  const { stored, local } = splitParams(type, given, cwd);
  stored.set('name', name);
  stored.set('type', type.name);
  type.defaults?.(stored, { name, uuid });
  if (stored.get('encryption') === 'shared') for (const [k, v] of newCipherConfig()) stored.set(k, v);
  const creds = await type.embedCredentials?.({ name, uuid, gitDir: annex.repo.gitDir, config: new Map([...stored, ...local]) }, true);
  for (const [k, v] of creds ?? []) stored.set(k, v);
  const ctx: TypeContext = { name, uuid, gitDir: annex.repo.gitDir, config: new Map([...stored, ...local]) };
  await type.prepare?.(ctx);
  await writeSpecialConfig(annex, uuid, stored, name);
  await annex.branch.commit('update');
  await writeGitConfig(annex, name, uuid, new Map([...(type.gitConfig ?? []), ...local]));
  return { name, uuid, type: type.name, encryption: stored.get('encryption') ?? 'none' };
}

/**
 * `ferry enableremote NAME [param=value …]`: the remote git-annex or ferry made elsewhere, usable here.
 * Local parameters (directory=) are required every time; shared ones given change remote.log, except the
 * type and the encryption, which cannot change once a remote holds content.
 */
export async function enableRemote(annex: Annex, name: string, params: ReadonlyMap<string, string>, cwd: string): Promise<ConfiguredRemote> {
  await annex.branch.update(); // a remote made in another clone arrives in its git-annex branch
  const record = await findSpecialRemote(annex, name);
  const typeName = record.config.get('type') ?? '';
  const type = typeOrThrow(typeName);
  const remoteName = record.config.get('name') ?? name;
  const given = new Map(params);
  for (const fixed of ['type', 'encryption']) {
    if (given.has(fixed) && given.get(fixed) !== record.config.get(fixed)) {
      throw new BadRemoteConfigError(fixed, `cannot be changed once a remote exists (it is ${record.config.get(fixed) ?? 'unset'})`);
    }
    given.delete(fixed);
  }
  checkParams(given, [...COMMON_PARAMS, ...type.params], type.name);
  const { stored: changed, local } = splitParams(type, given, cwd);
  for (const spec of type.params) {
    const kept = annex.repo.config.get(`remote.${remoteName}.annex-${spec.name}`);
    if (spec.local && !local.has(spec.name) && kept !== undefined) local.set(spec.name, kept);
    if (spec.local && spec.required && !local.has(spec.name)) {
      throw new BadRemoteConfigError(spec.name, `required to enable remote ${remoteName}: ${spec.help}`);
    }
  }
  const stored = new Map([...record.config, ...changed]);
  const creds = await type.embedCredentials?.({ name: remoteName, uuid: record.uuid, gitDir: annex.repo.gitDir, config: new Map([...stored, ...local]) }, false);
  for (const [k, v] of creds ?? []) {
    stored.set(k, v);
    changed.set(k, v);
  }
  const ctx: TypeContext = { name: remoteName, uuid: record.uuid, gitDir: annex.repo.gitDir, config: new Map([...stored, ...local]) };
  await type.verify?.(ctx);
  if (changed.size > 0) {
    await writeSpecialConfig(annex, record.uuid, stored);
    await annex.branch.commit('update');
  }
  await writeGitConfig(annex, remoteName, record.uuid, new Map([...(type.gitConfig ?? []), ...local]));
  return { name: remoteName, uuid: record.uuid, type: type.name, encryption: stored.get('encryption') ?? 'none' };
}

/**
 * `ferry renameremote NAME NEWNAME`: the name remote.log keeps for enableremote. As git-annex's does, it
 * leaves this clone's git config alone (the remote keeps working under its old local name).
 */
export async function renameRemote(annex: Annex, name: string, newName: string): Promise<ConfiguredRemote> {
  checkRemoteName(newName);
  await annex.branch.update();
  const record = await findSpecialRemote(annex, name);
  if ((await specialRemoteRecords(annex)).some((r) => r.uuid !== record.uuid && r.config.get('name') === newName)) {
    throw new RemoteNameTakenError(newName, 'a special remote');
  }
  const config = new Map(record.config);
  config.set('name', newName);
  await writeSpecialConfig(annex, record.uuid, config);
  await annex.branch.commit('update');
  return { name: newName, uuid: record.uuid, type: config.get('type') ?? '', encryption: config.get('encryption') ?? 'none' };
}

/**
 * git-annex init's autoenable: special remotes recorded with autoenable=true and not enabled here yet are
 * enabled, each under its remote.log name; one that needs a local parameter (a directory remote's path) or
 * cannot be reached is reported with the reason, and init goes on.
 */
export async function autoEnableRemotes(annex: Annex, cwd: string): Promise<{ enabled: string[]; failed: { name: string; reason: string }[] }> {
  const enabled: string[] = [];
  const failed: { name: string; reason: string }[] = [];
  const here = new Set(enabledSpecialRemotes(annex).map((e) => e.uuid));
  for (const record of await specialRemoteRecords(annex)) {
    const name = record.config.get('name');
    if (name === undefined || here.has(record.uuid) || !['true', 'yes'].includes(record.config.get('autoenable') ?? '')) continue;
    try {
      await enableRemote(annex, name, new Map(), cwd);
      enabled.push(name);
    } catch (err) {
      failed.push({ name, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  return { enabled, failed };
}

function typeOrThrow(name: string): SpecialType {
  const type = specialType(name);
  if (type === undefined) {
    throw new BadRemoteConfigError('type', `type=${name} is not supported by ferry (yet); supported: ${specialTypeNames().join(', ')}`);
  }
  return type;
}

function checkRemoteName(name: string): void {
  // A git remote name: git refuses these, and remote.log could not hold a space.
  if (name === '' || /[\s/\\:~^?*[]|\.\.|^-|\.lock$/u.test(name)) throw new UsageError(`'${name}' is not a usable remote name`, 'use letters, digits, "-" and "_"');
}

/** Splits given parameters into remote.log's and this clone's; local paths are made absolute. */
function splitParams(type: SpecialType, given: ReadonlyMap<string, string>, cwd: string): { stored: Map<string, string>; local: Map<string, string> } {
  const stored = new Map<string, string>();
  const local = new Map<string, string>();
  for (const [k, v] of given) {
    const spec = type.params.find((s) => s.name === k);
    if (spec?.local) local.set(k, k === 'directory' && !isAbsolute(v) ? resolve(cwd, v) : v);
    else stored.set(k, v);
  }
  return { stored, local };
}

/** remote.NAME.annex-uuid, the type's marker and local parameters, and skipFetchAll (git fetch --all has nothing to fetch there), as git-annex writes them. */
async function writeGitConfig(annex: Annex, name: string, uuid: string, local: ReadonlyMap<string, string>): Promise<void> {
  const git = { cwd: annex.repo.git.cwd };
  for (const [k, v] of local) await runGit(git, ['config', `remote.${name}.annex-${k}`, v]);
  await runGit(git, ['config', `remote.${name}.annex-uuid`, uuid]);
  await runGit(git, ['config', `remote.${name}.skipFetchAll`, 'true']);
}
