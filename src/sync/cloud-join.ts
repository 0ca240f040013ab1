// `ferry join CODE [DIR] [directory=PATH]` (ARCHITECTURE "Joining"): the store is checked by its marker
// first, then git clones through git-remote-ferry with the secret in its environment (never on a command
// line), ferry init enables the special remote and makes origin NAME-git = ferry::NAME (cloud-origin.ts),
// and the repository joins group client with annex.addunlocked, its notifier settings and, when the code
// carries them, the notifier passwords in mode-600 files. Anything that fails removes what join made.
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Annex, AnnexRepo, initRepo } from '../annex/index.js';
import { runGit } from '../git/index.js';
import { annexCredsFile, writeAnnexCreds } from '../remotes/index.js';
import { FerryError } from '../util/index.js';
import { becomeClient } from './cloud-create.js';
import { checkCloudMarker } from './cloud-marker.js';
import { adoptCloudOrigins } from './cloud-origin.js';
import { decodeJoinCode } from './join-code.js';
import type { JoinCode } from './join-code.js';

export interface JoinOptions {
  readonly code: string;
  /** Where to clone; default the creating repository's folder name, else the remote's name. */
  readonly dir?: string;
  /** Where this machine sees a directory store, instead of the path in the code. */
  readonly directory?: string;
  readonly cwd: string;
}

export interface JoinResult {
  readonly dir: string;
  readonly name: string;
  readonly gitRemote: string;
  readonly uuid: string;
  readonly notify: readonly string[];
  /** Transports whose password the code carried, now in .git/ferry/<transport>-password. */
  readonly passwords: readonly string[];
}

export async function joinCloud(opts: JoinOptions): Promise<JoinResult> {
  const code = decodeJoinCode(opts.code);
  const dir = resolve(opts.cwd, opts.dir ?? defaultFolder(code));
  const existed = await prepareTarget(dir);
  const config = storeConfig(code, opts.directory, opts.cwd);
  const restoreEnv = useCredentials(code);
  try {
    await checkCloudMarker({ name: code.name, uuid: code.uuid, type: code.type, config, gitDir: join(dir, '.git') }, true);
    // The secret and the key pair reach git-remote-ferry through the environment only.
    await runGit({ cwd: opts.cwd }, ['clone', '-q', cloneUrl(code, config), dir], { env: code.cipher !== undefined ? { FERRY_SECRET: code.cipher } : {} });
    return await setUp(dir, code);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    if (existed) await mkdir(dir); // it was an empty folder the user made: leave it as it was
    throw err;
  } finally {
    restoreEnv();
  }
}

/** DIR must not exist, or be an empty folder; returns whether it existed. */
async function prepareTarget(dir: string): Promise<boolean> {
  const st = await stat(dir).catch(() => undefined);
  if (st === undefined) return false;
  if (!st.isDirectory() || (await readdir(dir)).length > 0) {
    throw new FerryError(`${dir} already exists and is not an empty folder`, { hint: 'join into a new folder: ferry join CODE DIR' });
  }
  return true;
}

function defaultFolder(code: JoinCode): string {
  const f = code.folder;
  return f !== undefined && f !== '' && f !== '.' && f !== '..' && !/[/\\\0]/.test(f) ? f : code.name;
}

function storeConfig(code: JoinCode, directory: string | undefined, cwd: string): Map<string, string> {
  const config = new Map(Object.entries(code.params));
  if (code.type === 'directory' && directory !== undefined) config.set('directory', resolve(cwd, directory));
  return config;
}

/** The self-contained ferry:: URL of the store (docs/cloudgit-format.md "URLs"). */
export function cloneUrl(code: JoinCode, config: ReadonlyMap<string, string>): string {
  const query = new URLSearchParams();
  if (code.cipher === undefined) query.set('plaintext', 'yes');
  let base: string;
  if (code.type === 'directory') base = config.get('directory') ?? '';
  else {
    const host = config.get('host') ?? 's3.amazonaws.com';
    const port = config.get('port');
    const protocol = config.get('protocol') ?? (port === '443' ? 'https' : 'http');
    const path = `${config.get('bucket') ?? ''}/${config.get('fileprefix') ?? ''}`;
    base = host === 's3.amazonaws.com' ? `s3://${path}` : `s3+${protocol}://${host}${port !== undefined ? `:${port}` : ''}/${path}`;
    if (config.has('datacenter')) query.set('region', config.get('datacenter')!);
    if (host !== 's3.amazonaws.com' && config.get('requeststyle') !== 'path') query.set('style', 'virtual');
  }
  const q = query.toString();
  return `ferry::${base}${q !== '' ? `?${q}` : ''}`;
}

/** Embedded S3 credentials for this process (the store check, enableremote) and its children; returns the undo. */
export function useCredentials(code: JoinCode): () => void {
  const creds = code.s3Credentials;
  if (creds === undefined) return () => undefined;
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = creds.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = creds.secretAccessKey;
  const put = (key: string, value: string | undefined) => {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  };
  return () => {
    put('AWS_ACCESS_KEY_ID', saved.id);
    put('AWS_SECRET_ACCESS_KEY', saved.secret);
  };
}

/** ferry init, the cloud remote adopted, group client, addunlocked, notifier settings and passwords. */
async function setUp(dir: string, code: JoinCode): Promise<JoinResult> {
  const repo = await AnnexRepo.open(dir);
  let annex: Annex | undefined;
  try {
    const { uuid } = await initRepo(repo);
    annex = new Annex(repo, uuid);
    if (code.s3Credentials) await writeAnnexCreds(annexCredsFile(repo.gitDir, code.uuid), code.s3Credentials);
    const { adopted, failed } = await adoptCloudOrigins(annex, dir);
    const mine = adopted.find((a) => a.special === code.name);
    if (mine === undefined) {
      throw new FerryError(`could not enable special remote ${code.name} in the clone: ${failed.map((f) => f.reason).join('; ') || 'the clone has no cloud remote'}`, {
        hint: 'the code may be older than a rename of the remote; make a new one with ferry cloud show-code',
      });
    }
    const gitRemote = mine.to;
    const passwords = await applyCodeSettings(repo, gitRemote, code);
    await becomeClient(annex, uuid);
    await annex.branch.commit('update');
    return { dir, name: code.name, gitRemote, uuid, notify: code.notify, passwords };
  } finally {
    if (annex !== undefined) annex.close();
    else repo.close();
  }
}

/** The code's notifier settings on git remote `gitRemote`, and its passwords in mode-600 files; returns the transports given one. */
export async function applyCodeSettings(repo: AnnexRepo, gitRemote: string, code: JoinCode): Promise<string[]> {
  await runGit(repo.git, ['config', '--unset-all', `remote.${gitRemote}.ferry-notify`], { okCodes: [5] });
  for (const value of code.notify) await runGit(repo.git, ['config', '--add', `remote.${gitRemote}.ferry-notify`, value]);
  const passwords: string[] = [];
  for (const [transport, password] of Object.entries(code.passwords ?? {})) {
    if (!/^[a-z]+$/.test(transport)) continue;
    const file = join(repo.gitDir, 'ferry', `${transport}-password`);
    await mkdir(join(repo.gitDir, 'ferry'), { recursive: true, mode: 0o700 });
    await writeFile(file, `${password}\n`, { mode: 0o600 });
    await repo.setConfig(`remote.${gitRemote}.ferry-${transport}-password-file`, file);
    passwords.push(transport);
  }
  return passwords;
}
