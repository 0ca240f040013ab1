// `ferry cloud rotate NAME [NEWNAME]` (docs/assistant.md "Shutting out a lost device"): a new cloud with a fresh
// secret takes over from NAME. In order, so that the new secret never reaches the old store:
//   1. the old cloud is fetched and its git-annex branch merged (its location logs are current);
//   2. the old git remote is retired (remote.NAME-git.ferry-retired, NAME read-only): nothing pushes there any more;
//   3. NAME is marked dead, in this history only (the old store never receives it);
//   4. `cloud create NEWNAME` with the same type and store parameters in a fresh place — for a directory store
//      the subfolder rotated-NEWNAME of the old folder, for S3 the fileprefix OLDPREFIXrotated-NEWNAME/ — with
//      the old cloud's notifier settings; it pushes the history;
//   5. every key the old special remote has is copied to the new one (gotten from the old one first when it is
//      not here; such a copy is dropped again afterwards, so this repository keeps what it had);
//   6. the location logs are pushed, and the new join code returned.
// Run again after a failure, it resumes with the same NEWNAME (remote.NAME-git.ferry-rotated-to).
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Annex } from '../annex/index.js';
import { contentExpression, locationLogPath, presentIn, setContentExpression, setTrust } from '../annex/index.js';
import { annexCredsFile, enabledSpecialRemotes, findSpecialRemote, openRemotes, resolveS3Credentials, specialRemoteRecords, specialTypeParams, writeAnnexCreds } from '../remotes/index.js';
import type { Remote } from '../remotes/index.js';
import { FerryError, UsageError, warn } from '../util/index.js';
import { cloudGitRemoteOf, buildJoinCode } from './cloud-code.js';
import { createCloud, pushCloud } from './cloud-create.js';
import { resolveCloud } from './cloud-remote.js';
import { isRetiredRemote, retireRemote } from './cloud-retired.js';
import { CloudSyncRemote } from './cloud-sync-remote.js';
import { gitRemoteSettings } from './remote-list.js';
import type { TransferEvents, TransferItem, TransferResult } from './transfer/index.js';
import { dropItems, dropPolicy, getItems, loadTransferPolicy, selectItems, sendItems } from './transfer/index.js';

/** Store parameters that say where the store is: the new cloud gets a fresh value for these. */
const PLACE = new Set(['directory', 'fileprefix']);
/** Parameters never carried over: the new remote gets its own cipher, and S3 credentials sealed with the old one are useless. */
const NOT_CARRIED = new Set(['name', 'type', 'encryption', 'cipher', 'cipherkeys', 'pubkeys', 's3creds', 'sameas-name', 'sameas-uuid']);

export interface RotateOptions {
  readonly name: string;
  /** The new cloud's name; default NAME-2 (NAME-N+1 when NAME ends in -N). */
  readonly newName?: string;
  /** Store parameters that replace the fresh place rotate picks (directory=, fileprefix=, bucket=, …). */
  readonly params: ReadonlyMap<string, string>;
  readonly embedCredentials: boolean;
  readonly cwd: string;
  /** Each key copied (or not) to the new cloud. */
  readonly events?: TransferEvents;
}

export interface RotateResult {
  readonly name: string;
  readonly oldUuid: string;
  readonly retired: string;
  readonly newName: string;
  readonly uuid: string;
  readonly gitRemote: string;
  /** Where the new store is: its directory, or bucket/fileprefix. */
  readonly place: string;
  /** True when an earlier rotation to newName was cut short and this run finished it. */
  readonly resumed: boolean;
  readonly copied: number;
  readonly failed: readonly TransferResult[];
  readonly notify: readonly string[];
  readonly code: string;
}

export async function rotateCloud(annex: Annex, opts: RotateOptions): Promise<RotateResult> {
  await annex.branch.update();
  const record = await findSpecialRemote(annex, opts.name);
  const name = record.config.get('name') ?? opts.name;
  const oldUuid = record.uuid;
  const type = record.config.get('type');
  if (type !== 'directory' && type !== 'S3') throw new FerryError(`special remote ${name} is of type ${type ?? '?'}: cloud rotate works on directory and S3 clouds`);
  if (record.config.get('encryption') !== 'shared') {
    throw new FerryError(`special remote ${name} has encryption=${record.config.get('encryption') ?? 'none'}: it has no secret to rotate`, { hint: 'a lost device reads a plaintext cloud as anyone can; move to an encrypted one with ferry cloud create' });
  }
  if (!enabledSpecialRemotes(annex).some((e) => e.uuid === oldUuid)) throw new FerryError(`special remote ${name} is not enabled in this repository`, { hint: `rotate where it is enabled, or ferry enableremote ${name} … first` });
  const gitRemote = cloudGitRemoteOf(annex, name);
  if (gitRemote === undefined) throw new FerryError(`special remote ${name} has no ferry:: git remote here: it is not a cloud`, { hint: 'ferry cloud create makes one' });

  const successor = annex.repo.config.get(`remote.${gitRemote}.ferry-rotated-to`);
  const resumed = successor !== undefined;
  if (isRetiredRemote(annex.repo, gitRemote) && successor === undefined) throw new FerryError(`${gitRemote} is retired already`, { hint: 'rotate the cloud that replaced it' });
  if (successor !== undefined && opts.newName !== undefined && opts.newName !== successor) {
    throw new UsageError(`${name} is being rotated to ${successor} already (a run cut short): run 'ferry cloud rotate ${name}' to finish that one`);
  }
  const newName = successor ?? opts.newName ?? await nextName(annex, name);
  const successorRemote = successor !== undefined ? cloudGitRemoteOf(annex, successor) : undefined;
  if (successorRemote !== undefined && isRetiredRemote(annex.repo, successorRemote)) {
    const newest = annex.repo.config.get(`remote.${successorRemote}.ferry-rotated-to`) ?? '?';
    throw new FerryError(`${name} was rotated to ${successor!}, which is retired too: rotate ${newest}, the newest`);
  }

  if (!resumed) {
    // Last look at the old cloud while it may still be pushed to: its peers' location logs name its content.
    const settings = gitRemoteSettings(annex).find((s) => s.name === gitRemote)!;
    const fetched = await new CloudSyncRemote(annex, settings).fetch();
    if (!fetched.ok) throw new FerryError(`could not fetch ${gitRemote} before rotating: ${fetched.error ?? 'failed'}`, { hint: 'rotate once the old store can be read (its content is copied from it)' });
    await annex.branch.update();
  }
  // Under the old cloud's lock: a push already under way (an assistant's) ends first, any later one is refused.
  const old = await resolveCloud(annex.repo, gitRemote, (annex.repo.config.get(`remote.${gitRemote}.url`) ?? '').slice('ferry::'.length), (line) => warn(line));
  try {
    await old.cloud.hold(() => retireRemote(annex, gitRemote, newName));
  } finally {
    await old.close();
  }
  const notify = [...annex.repo.config.getAll(`remote.${gitRemote}.ferry-notify`)];
  const wanted = await contentExpression(annex, 'wanted', oldUuid);
  await setTrust(annex, oldUuid, 'dead'); // from here on the history knows the new cipher: it stays out of the old store
  await annex.branch.commit('update');

  const params = await newStoreParams(annex, name, type, record.config, newName, opts);
  const restore = await useOldCredentials(annex, type, oldUuid);
  let created;
  try {
    created = await createCloud(annex, { name: newName, params, notify, plaintext: false, embedCredentials: false, cwd: opts.cwd });
    if (restore.pair !== undefined) await writeAnnexCreds(annexCredsFile(annex.repo.gitDir, created.uuid), restore.pair);
    if (wanted !== undefined && wanted !== 'standard') await setContentExpression(annex, 'wanted', created.uuid, wanted);
    await annex.branch.commit('update');
    const { copied, failed } = await copyContent(annex, oldUuid, created.uuid, opts.events);
    await pushCloud(annex, created.gitRemote);
    const { code } = await buildJoinCode(annex, newName, { embedCredentials: opts.embedCredentials });
    return {
      name, oldUuid, retired: gitRemote, newName, uuid: created.uuid, gitRemote: created.gitRemote, resumed, copied, failed, notify, code,
      place: type === 'directory' ? params.get('directory')! : `${params.get('bucket') ?? record.config.get('bucket') ?? ''}/${params.get('fileprefix') ?? ''}`,
    };
  } finally {
    restore.undo();
  }
}

/** NAME-2, or NAME-(N+1) for NAME-N; the next free one when that is taken. */
async function nextName(annex: Annex, name: string): Promise<string> {
  const m = /^(.*)-(\d+)$/.exec(name);
  const base = m?.[1] ?? name;
  let n = m !== null ? Number(m[2]) + 1 : 2;
  const taken = new Set((await specialRemoteRecords(annex)).map((r) => r.config.get('name')));
  const free = (c: string) => !taken.has(c) && annex.repo.config.get(`remote.${c}.url`) === undefined && annex.repo.config.get(`remote.${c}-git.url`) === undefined;
  while (!free(`${base}-${n}`)) n++;
  return `${base}-${n}`;
}

/** The old remote's parameters (but its place and cipher), a fresh place, and what the user gave over them. */
async function newStoreParams(annex: Annex, name: string, type: string, old: ReadonlyMap<string, string>, newName: string, opts: RotateOptions): Promise<Map<string, string>> {
  const known = new Set(specialTypeParams().filter((t) => t.type === 'every type' || t.type === type).flatMap((t) => t.params.map((p) => p.name)));
  const params = new Map<string, string>([['type', type]]);
  for (const [k, v] of old) if (known.has(k) && !NOT_CARRIED.has(k) && !PLACE.has(k)) params.set(k, v);
  const sub = `rotated-${newName}`;
  if (type === 'directory') {
    const dir = annex.repo.config.get(`remote.${name}.annex-directory`);
    if (dir === undefined) throw new FerryError(`special remote ${name} has no directory here (remote.${name}.annex-directory)`);
    params.set('directory', join(dir, sub));
  } else {
    params.set('fileprefix', `${old.get('fileprefix') ?? ''}${sub}/`);
  }
  for (const [k, v] of opts.params) {
    if (k === 'type' && v !== type) throw new UsageError(`type=${v}: a rotated cloud keeps its type (${type})`);
    params.set(k, k === 'directory' ? resolve(opts.cwd, v) : v);
  }
  // The directory type wants its folder to exist (as git-annex's does); the fresh place is rotate's to make.
  if (type === 'directory' && !opts.params.has('directory')) await mkdir(params.get('directory')!, { recursive: true });
  return params;
}

/**
 * An S3 cloud whose key pair this repository keeps in the old remote's creds file: the same pair for the new
 * remote (same bucket), in this process's environment while rotate runs and in the new remote's creds file.
 */
async function useOldCredentials(annex: Annex, type: string, oldUuid: string): Promise<{ pair?: { accessKeyId: string; secretAccessKey: string }; undo: () => void }> {
  if (type !== 'S3' || process.env.AWS_ACCESS_KEY_ID !== undefined) return { undo: () => undefined };
  const { credentials: pair, source } = await resolveS3Credentials({ credsFile: annexCredsFile(annex.repo.gitDir, oldUuid) });
  if (pair === undefined || source !== 'git-annex creds file') return { undo: () => undefined };
  process.env.AWS_ACCESS_KEY_ID = pair.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = pair.secretAccessKey;
  return {
    pair: { accessKeyId: pair.accessKeyId, secretAccessKey: pair.secretAccessKey },
    undo: () => {
      delete process.env.AWS_ACCESS_KEY_ID;
      delete process.env.AWS_SECRET_ACCESS_KEY;
    },
  };
}

const SILENT: TransferEvents = { done: () => undefined };

/** Every key the location log says the old remote has, into the new one; returns how many the new one received. */
async function copyContent(annex: Annex, oldUuid: string, newUuid: string, events: TransferEvents = SILENT): Promise<{ copied: number; failed: TransferResult[] }> {
  const all = await selectItems(annex, { paths: [], all: true });
  const logs = await annex.branch.getMany([...new Set(all.map((i) => locationLogPath(i.key)))]);
  const items = all.filter((i) => presentIn(logs.get(locationLogPath(i.key)) ?? '').includes(oldUuid));
  if (items.length === 0) return { copied: 0, failed: [] };
  const opened = await openRemotes(annex);
  const policy = await loadTransferPolicy(annex);
  try {
    const byUuid = (uuid: string, what: string): Remote => {
      const r = opened.remotes.find((x) => x.uuid === uuid);
      if (r === undefined) throw new FerryError(`cannot open the ${what} special remote (${uuid}) to copy content: ${opened.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
      return r;
    };
    const from = byUuid(oldUuid, 'old');
    const to = byUuid(newUuid, 'new');
    const failed: TransferResult[] = [];
    const counting: TransferEvents = {
      ...events,
      done: (r) => {
        if (!r.ok) failed.push(r);
        events.done(r);
      },
    };
    const fetchedOnly: TransferItem[] = [];
    for (const item of items) if (!(await annex.objects.has(item.key))) fetchedOnly.push(item);
    await getItems(annex, opened.remotes, fetchedOnly, counting, { from });
    const sent = await sendItems(annex, to, items, counting);
    // What was gotten only to be sent leaves again, proven to be in the new cloud (dropItems checks it there).
    const leave = fetchedOnly.filter((i) => sent.there.has(i.key));
    if (leave.length > 0) await dropItems(annex, opened.remotes, leave, dropPolicy(policy), SILENT);
    return { copied: sent.there.size, failed };
  } finally {
    policy.close();
    opened.close();
  }
}
