// The join code of a cloud this repository has (`ferry cloud create` prints it, `ferry cloud show-code`
// again): the special remote's record from remote.log, where this machine sees a directory store, the
// notifier settings of its ferry:: git remote, and, only when asked, the S3 key pair and notifier passwords.
import { basename } from 'node:path';
import type { Annex } from '../annex/index.js';
import { needsPassword, parseNotifierSpec } from '../notify/index.js';
import { annexCredsFile, findSpecialRemote, resolveS3Credentials } from '../remotes/index.js';
import { FerryError, warn } from '../util/index.js';
import { cloudGitRemotes } from './cloud-gc.js';
import { readPassword } from './cloud-notify.js';
import { encodeJoinCode } from './join-code.js';
import type { JoinCode } from './join-code.js';

/** The S3 parameters another machine needs to reach the same bucket (annex-format §7). */
const S3_LOCATION = ['host', 'port', 'protocol', 'bucket', 'fileprefix', 'datacenter', 'requeststyle'];

/** The ferry:: git remote of special remote `name`: NAME-git by convention, else any ferry::NAME. */
export function cloudGitRemoteOf(annex: Annex, name: string): string | undefined {
  const remotes = cloudGitRemotes(annex);
  const target = (url: string) => url.slice('ferry::'.length).replace(/\?.*$/, '');
  if (remotes.has(`${name}-git`) && target(remotes.get(`${name}-git`)!) === name) return `${name}-git`;
  for (const [remote, url] of remotes) if (target(url) === name) return remote;
  return undefined;
}

export async function buildJoinCode(annex: Annex, name: string, opts: { embedCredentials: boolean }): Promise<{ code: string; content: JoinCode }> {
  await annex.branch.update();
  const record = await findSpecialRemote(annex, name);
  const remoteName = record.config.get('name') ?? name;
  const type = record.config.get('type');
  if (type !== 'directory' && type !== 'S3') throw new FerryError(`special remote ${remoteName} is of type ${type ?? '?'}: a join code can describe directory and S3 stores`);
  const encryption = record.config.get('encryption') ?? 'none';
  if (encryption !== 'shared' && encryption !== 'none') {
    throw new FerryError(`special remote ${remoteName} uses encryption=${encryption}: a join code can carry only a shared cipher`, { hint: 'make the cloud with ferry cloud create (encryption=shared)' });
  }
  if (annex.repo.config.get(`remote.${remoteName}.annex-uuid`) !== record.uuid) {
    throw new FerryError(`special remote ${remoteName} is not enabled in this repository`, { hint: `ferry enableremote ${remoteName} …, or show the code where it was created` });
  }
  const gitRemote = cloudGitRemoteOf(annex, remoteName);
  if (gitRemote === undefined) {
    throw new FerryError(`special remote ${remoteName} has no ferry:: git remote here: another machine could not get the history`, { hint: `ferry cloud create ${remoteName} … adds ${remoteName}-git` });
  }
  const params: Record<string, string> = {};
  if (type === 'directory') params.directory = annex.repo.config.get(`remote.${remoteName}.annex-directory`) ?? '';
  else for (const k of S3_LOCATION) if (record.config.has(k)) params[k] = record.config.get(k)!;
  const notify = [...annex.repo.config.getAll(`remote.${gitRemote}.ferry-notify`)];
  const content: JoinCode = {
    name: remoteName, type, uuid: record.uuid, params, notify,
    ...(encryption === 'shared' ? { cipher: record.config.get('cipher') ?? '' } : {}),
    ...(annex.repo.top !== undefined ? { folder: basename(annex.repo.top) } : {}),
    ...(opts.embedCredentials ? await credentials(annex, gitRemote, type, record.uuid, notify) : {}),
  };
  return { code: encodeJoinCode(content), content };
}

/** --embed-credentials: the S3 pair this machine uses and the notifier passwords it has. */
async function credentials(annex: Annex, gitRemote: string, type: string, uuid: string, notify: readonly string[]): Promise<Pick<JoinCode, 's3Credentials' | 'passwords'>> {
  const out: { s3Credentials?: JoinCode['s3Credentials']; passwords?: Record<string, string> } = {};
  if (type === 'S3') {
    const { credentials: pair, source } = await resolveS3Credentials({ credsFile: annexCredsFile(annex.repo.gitDir, uuid) });
    if (pair === undefined || (source !== 'environment' && source !== 'git-annex creds file')) {
      throw new FerryError('--embed-credentials: this machine has no S3 key pair to embed', { hint: 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for this command' });
    }
    out.s3Credentials = { accessKeyId: pair.accessKeyId, secretAccessKey: pair.secretAccessKey };
  }
  for (const text of notify) {
    const spec = parseNotifierSpec(text);
    if (spec === undefined || !needsPassword(spec)) continue;
    const password = await readPassword(annex.repo, gitRemote, spec.transport);
    if (password === undefined) warn(`--embed-credentials: no password for ${spec.text} here (FERRY_${spec.transport.toUpperCase()}_PASSWORD or remote.${gitRemote}.ferry-${spec.transport}-password-file): the code carries none`);
    else (out.passwords ??= {})[spec.transport] = password;
  }
  return out;
}
