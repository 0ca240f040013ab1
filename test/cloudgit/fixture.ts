// Clouds for cloudgit tests: an annex repository with an encrypted special remote (directory or S3 on
// s3rver) and the git remote `cloud-git` = ferry::cloud in the same store, plus the self-contained URL and
// secret another machine would clone with.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { makeRepo } from '../helpers/repo.js';
import { ferry, git } from '../helpers/run.js';
import type { AfterHook } from '../helpers/tmp.js';
import { tempDir } from '../helpers/tmp.js';
import { startS3rver } from '../servers/s3rver.js';

export type StoreKind = 'directory' | 's3';

export interface Cloud {
  /** The first repository, with `cloud` and `cloud-git`, one commit pushed. */
  readonly origin: string;
  /** What `git clone` takes on another machine, and the environment it needs (FERRY_SECRET, S3 keys). */
  readonly url: string;
  readonly env: Record<string, string>;
  /** Where a directory store keeps its files (undefined for S3). */
  readonly storeDir: string | undefined;
  readonly root: string;
}

export async function makeCloud(t: AfterHook, kind: StoreKind, opts: { encryption?: 'shared' | 'none' } = {}): Promise<Cloud> {
  const root = await tempDir(t);
  const origin = await makeRepo(t, { files: { 'a.txt': 'first\n' } });
  let env: Record<string, string> = {};
  let url: string;
  let storeDir: string | undefined;
  const encryption = `encryption=${opts.encryption ?? 'shared'}`;
  if (kind === 'directory') {
    storeDir = join(root, 'store');
    await mkdir(storeDir);
    await ferry(origin, ['initremote', 'cloud', 'type=directory', `directory=${storeDir}`, encryption]);
    url = `ferry::${storeDir}`;
  } else {
    const server = await startS3rver(t);
    env = { AWS_ACCESS_KEY_ID: server.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey };
    await ferry(origin, ['initremote', 'cloud', 'type=S3', `host=${server.host}`, `port=${server.port}`, 'protocol=http',
      'bucket=cloud', 'fileprefix=annex/', encryption], { env });
    url = `ferry::s3+http://${server.host}:${server.port}/cloud/annex/`;
  }
  await ferry(origin, ['add', '.']);
  await git(origin, ['commit', '-q', '-m', 'first']);
  await git(origin, ['remote', 'add', 'cloud-git', 'ferry::cloud']);
  if (opts.encryption === 'none') await git(origin, ['config', 'remote.cloud-git.ferry-plaintext', 'true']);
  await git(origin, ['push', '-q', 'cloud-git', 'main', 'git-annex'], { env });
  const log = (await git(origin, ['show', 'git-annex:remote.log'])).stdout;
  const cipher = /cipher=([^ \n]+)/.exec(log)?.[1];
  if (cipher !== undefined) env = { ...env, FERRY_SECRET: cipher };
  else url += '?plaintext=yes';
  return { origin, url, env, storeDir, root };
}

/** `git clone` of the cloud into root/name, as a new machine would. */
export async function cloneCloud(cloud: Cloud, name: string): Promise<string> {
  const dir = join(cloud.root, name);
  await git(cloud.root, ['clone', '-q', cloud.url, dir], { env: cloud.env });
  return dir;
}

export async function commit(dir: string, file: string, text: string): Promise<string> {
  await git(dir, ['commit', '-q', '--allow-empty', '-m', `${file}: ${text}`]);
  return (await git(dir, ['rev-parse', 'HEAD'])).stdout.trim();
}

export async function remoteRefs(dir: string, remote: string, env: Record<string, string> = {}): Promise<Map<string, string>> {
  const out = (await git(dir, ['ls-remote', remote], { env })).stdout;
  return new Map(out.split('\n').filter(Boolean).map((l) => {
    const [sha, ref] = l.split('\t') as [string, string];
    return [ref, sha];
  }));
}

/**
 * The commits of `shas` that no branch the remote lists (ferry/peers/* included) reaches, seen from the clone
 * `dir`: reachability from a ref, not object presence (a clone may hold a lost commit's objects).
 */
export async function unreachable(dir: string, remote: string, shas: readonly string[], env: Record<string, string> = {}): Promise<string[]> {
  const heads = [...(await remoteRefs(dir, remote, env))].filter(([ref]) => ref.startsWith('refs/heads/')).map(([, sha]) => sha);
  const lost: string[] = [];
  for (const sha of shas) {
    let kept = false;
    for (const head of heads) {
      kept = (await git(dir, ['merge-base', '--is-ancestor', sha, head], { expect: [0, 1, 128] })).code === 0;
      if (kept) break;
    }
    if (!kept) lost.push(sha);
  }
  return lost;
}
