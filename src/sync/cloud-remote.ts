// A ferry:: URL → the cloud it names (docs/cloudgit-format.md "URLs"): its Store, its secret, the special
// remote's uuid, and this repository's peer identity in it. Two forms:
//   ferry::NAME   a special remote of this repository (git remote with annex-uuid, remote.log name=, or uuid);
//                 its Store and its cipher. The everyday form: `git remote add NAME-git ferry::NAME`.
//   ferry::/path/to/dir, ferry::s3+http://host:port/bucket/prefix, ferry::s3://bucket/prefix
//                 self-contained, for cloning with no repository yet: the secret comes from FERRY_SECRET or
//                 a key file (FERRY_SECRET_FILE, remote.NAME.ferry-keyfile), the uuid from `uuid=` or the
//                 store's marker. Query options: uuid=, region=, style=virtual, plaintext=yes.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { Annex } from '../annex/index.js';
import type { AnnexRepo } from '../annex/index.js';
import { CloudGit, readCloudUuid } from '../cloudgit/index.js';
import { SharedCipher } from '../crypto/index.js';
import { openSpecialStore, openTypeStore, specialType } from '../remotes/index.js';
import type { Store } from '../remotes/index.js';
import { FerryError, UsageError, warn } from '../util/index.js';
import { refuseRetiredWrite } from './cloud-retired.js';

export interface ResolvedCloud {
  readonly cloud: CloudGit;
  /** The special remote's uuid and the secret: what change notices are sealed with (sync/cloud-notify.ts). */
  readonly uuid: string;
  readonly secret: Buffer;
  close(): Promise<void>;
}

/** A URL that names a Store by itself (a path, or S3). */
export function isSelfContained(url: string): boolean {
  return url.startsWith('/') || url.startsWith('./') || url.startsWith('../') || url.startsWith('file://') || /^s3(\+https?)?:\/\//.test(url);
}

interface UrlParts {
  readonly base: string;
  readonly query: URLSearchParams;
}

function splitQuery(url: string): UrlParts {
  const q = url.indexOf('?');
  return q < 0 ? { base: url, query: new URLSearchParams() } : { base: url.slice(0, q), query: new URLSearchParams(url.slice(q + 1)) };
}

/** The special-remote type and parameters of a self-contained URL. */
function storeParams(base: string, query: URLSearchParams): { type: string; config: Map<string, string> } {
  if (!base.startsWith('s3')) {
    const path = base.startsWith('file://') ? new URL(base).pathname : resolve(base);
    return { type: 'directory', config: new Map([['directory', path]]) };
  }
  const url = new URL(base.replace(/^s3\+/, ''));
  const aws = base.startsWith('s3://');
  const [bucket, ...rest] = (aws ? `${url.host}${url.pathname}` : url.pathname.slice(1)).split('/');
  if (!bucket) throw new UsageError(`ferry::${base}: the URL names no bucket`, 'write it as ferry::s3+https://HOST/BUCKET/PREFIX or ferry::s3://BUCKET/PREFIX');
  const prefix = rest.join('/');
  const config = new Map([['bucket', bucket], ['fileprefix', prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`]]);
  if (!aws) {
    config.set('host', url.hostname);
    config.set('protocol', url.protocol.replace(':', ''));
    config.set('port', url.port || (url.protocol === 'https:' ? '443' : '80'));
    if (query.get('style') !== 'virtual') config.set('requeststyle', 'path');
  }
  config.set('datacenter', query.get('region') ?? 'us-east-1');
  return { type: 'S3', config };
}

/** Hash of what makes this .git this install: a copied or restored .git gets another (ARCHITECTURE "Secret and peer identity"). */
async function installFingerprint(repo: AnnexRepo, uuid = repo.uuid ?? ''): Promise<string> {
  let machine = hostname();
  for (const path of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try {
      machine = (await readFile(path, 'utf8')).trim();
      break;
    } catch {
      // not on this system: try the next, else the host name
    }
  }
  const s = await stat(repo.gitDir);
  return createHash('sha256').update(`${machine}\0${s.dev}\0${s.ino}\0${uuid}`).digest('hex').slice(0, 32);
}

/**
 * This repository's peer id in the cloud `uuid`, created on first use, kept in the git remote's config
 * (`remote.NAME.ferry-peer`, or `ferry.UUID.peer` for a URL used without a remote). A fingerprint that no
 * longer matches (a copied .git) mints a new one, so two copies never write one manifest.
 */
async function peerIdentity(repo: AnnexRepo, remote: string | undefined, uuid: string): Promise<{ peer: string; install: string }> {
  const key = remote !== undefined ? { peer: `remote.${remote}.ferry-peer`, install: `remote.${remote}.ferry-install` }
    : { peer: `ferry.${uuid}.peer`, install: `ferry.${uuid}.install` };
  const install = await installFingerprint(repo);
  const peer = repo.config.get(key.peer);
  const known = repo.config.get(key.install);
  if (peer !== undefined && /^[0-9a-f]{32}$/.test(peer) && known === install) return { peer, install };
  if (peer !== undefined && /^[0-9a-f]{32}$/.test(peer) && repo.uuid !== undefined && known === await installFingerprint(repo, '')) {
    // A plain clone that has been initialised for annex since: the same install, now with its uuid.
    await repo.setConfig(key.install, install);
    return { peer, install };
  }
  if (peer !== undefined) warn('this repository was copied or restored (its install fingerprint changed): it joins the cloud as a new peer');
  const fresh = randomBytes(16).toString('hex');
  await repo.setConfig(key.peer, fresh);
  await repo.setConfig(key.install, install);
  return { peer: fresh, install };
}

/** The secret of a self-contained URL: FERRY_SECRET, FERRY_SECRET_FILE, or the remote's ferry-keyfile. */
async function selfContainedSecret(repo: AnnexRepo, remote: string | undefined, uuid: string, url: string): Promise<Buffer> {
  const fromEnv = process.env.FERRY_SECRET?.trim();
  const keyFile = process.env.FERRY_SECRET_FILE ?? (remote !== undefined ? repo.config.get(`remote.${remote}.ferry-keyfile`) : undefined);
  let text = fromEnv;
  if (text === undefined && keyFile !== undefined) {
    try {
      text = (await readFile(keyFile, 'utf8')).trim();
    } catch (err) {
      throw new FerryError(`ferry::${url}: cannot read the key file ${keyFile}: ${(err as Error).message}`, { cause: err, hint: 'point remote.NAME.ferry-keyfile or FERRY_SECRET_FILE at the file that holds the secret' });
    }
  }
  if (text === undefined) {
    throw new FerryError(`ferry::${url}: no secret to open this cloud with`, {
      hint: 'set FERRY_SECRET to the cipher (the cipher= value of the special remote in remote.log, or from the join code), or FERRY_SECRET_FILE to a file holding it',
    });
  }
  const cipher = SharedCipher.fromRemoteLog(text);
  if (remote !== undefined && keyFile === undefined) {
    // Keep it for later fetches, once the environment variable is gone (mode 600, inside .git).
    const dir = join(repo.gitDir, 'ferry', 'keys');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, uuid);
    await writeFile(path, `${text}\n`, { mode: 0o600 });
    await repo.setConfig(`remote.${remote}.ferry-keyfile`, path);
  }
  return cipher.keyMaterial();
}

function plaintextAsked(repo: AnnexRepo, remote: string | undefined, query: URLSearchParams): boolean {
  return query.get('plaintext') === 'yes' || (remote !== undefined && repo.config.bool(`remote.${remote}.ferry-plaintext`, false));
}

function refusePlaintext(what: string): never {
  throw new FerryError(`${what} is not encrypted (encryption=none): its git history would be stored readable`, {
    hint: 'ask for it explicitly: git config remote.NAME.ferry-plaintext true (or add ?plaintext=yes to the URL)',
  });
}

/**
 * Resolves `url` (what follows `ferry::`) for the repository `repo`; `remote` is the git remote's name when
 * git gave one that is configured. The caller closes the result.
 */
export async function resolveCloud(repo: AnnexRepo, remote: string | undefined, url: string, say: (line: string) => void): Promise<ResolvedCloud> {
  const { base, query } = splitQuery(url);
  let store: Store;
  let uuid: string;
  let secret: Buffer;
  let annex: Annex | undefined;
  if (isSelfContained(base)) {
    const { type, config } = storeParams(base, query);
    const pinned = query.get('uuid') ?? (remote !== undefined ? repo.config.get(`remote.${remote}.ferry-uuid`) : undefined);
    store = await openTypeStore(specialType(type)!, { name: remote ?? 'ferry', uuid: pinned ?? 'unknown', gitDir: repo.gitDir, config });
    const found = pinned ?? await readCloudUuid(store, '');
    if (found === undefined) {
      await store.close();
      throw new FerryError(`ferry::${url}: there is no ferry cloud at ${store.description}`, {
        hint: 'check the path or bucket; a cloud is made by pushing to ferry::NAME of an encrypted special remote (or ferry cloud create)',
      });
    }
    uuid = found;
    if (remote !== undefined && pinned === undefined) await repo.setConfig(`remote.${remote}.ferry-uuid`, uuid);
    secret = plaintextAsked(repo, remote, query) ? Buffer.from(uuid) : await selfContainedSecret(repo, remote, uuid, url);
  } else {
    const local = repo.requireInitialised();
    annex = new Annex(repo, local);
    const special = await openSpecialStore(annex, base);
    store = special.store;
    uuid = special.uuid;
    if (special.secret === undefined && !plaintextAsked(repo, remote, query)) {
      await store.close();
      annex.close();
      refusePlaintext(`special remote ${base}`);
    }
    secret = special.secret ?? Buffer.from(uuid);
  }
  const { peer, install } = await peerIdentity(repo, remote, uuid);
  // ferry.cloudIncompleteGrace: seconds a listed bundle may be missing before fetch fails (default 600).
  const grace = repo.config.int('ferry.cloudincompletegrace');
  const cloud = new CloudGit({
    store, prefix: '', secret, uuid, peer, install, ...(repo.uuid !== undefined ? { repo: repo.uuid } : {}), git: repo.git, stateDir: join(repo.gitDir, 'ferry', 'cloudgit', peer), say,
    beforeWrite: () => refuseRetiredWrite(repo.git, remote, url),
    ...(grace !== undefined && grace >= 0 ? { graceMs: grace * 1000 } : {}),
  });
  return {
    cloud,
    uuid,
    secret,
    async close() {
      await store.close();
      annex?.close();
    },
  };
}

/** GIT_DIR as git gives it to a helper may be relative to where git ran; ferry's git commands run elsewhere. */
export function absoluteGitDir(): void {
  const dir = process.env.GIT_DIR;
  if (dir !== undefined && !isAbsolute(dir)) process.env.GIT_DIR = resolve(dir);
}
