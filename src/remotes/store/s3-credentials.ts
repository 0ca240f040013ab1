// Where an S3 remote's key pair comes from, in git-annex's order (Creds.hs getRemoteCredPair): the
// environment, then the cache file .git/annex/creds/UUID, then the pair embedded in remote.log (s3creds,
// decoded by the special-remote layer, which holds the cipher); ferry adds the AWS SDK's default chain
// (~/.aws, SSO, instance roles) last. Secrets never leave this module except into the SDK client.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isNotFound, writeFileAtomic, fileSystemError } from '../../util/index.js';

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Where the pair was found, for `ferry info` and hints; never the pair itself. */
export type S3CredentialSource = 'explicit' | 'environment' | 'git-annex creds file' | 'remote.log' | 'AWS default chain';

export interface S3CredentialPlaces {
  /** Given by the caller (tests, a decrypted s3creds); wins over everything. */
  readonly explicit?: S3Credentials;
  /** AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN); defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** git-annex's cache, `annexCredsFile(gitDir, uuid)`. */
  readonly credsFile?: string;
  /** The pair from remote.log's s3creds, already decrypted/decoded by the special-remote layer. */
  readonly embedded?: S3Credentials;
}

export interface ResolvedS3Credentials {
  /** Undefined: let the SDK's default provider chain find them (~/.aws/credentials, profiles, roles). */
  readonly credentials: S3Credentials | undefined;
  readonly source: S3CredentialSource;
}

export function annexCredsFile(gitDir: string, uuid: string): string {
  return join(gitDir, 'annex', 'creds', uuid);
}

/** git-annex's encodeCredPair: the two values as lines ("KEYID\nSECRET\n"), verified against its file. */
export function encodeCredPair(creds: S3Credentials): string {
  return `${creds.accessKeyId}\n${creds.secretAccessKey}\n`;
}

/** git-annex's decodeCredPair: exactly two lines, else nothing (a malformed file is ignored, as there). */
export function decodeCredPair(text: string): S3Credentials | undefined {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length !== 2) return undefined;
  const [accessKeyId = '', secretAccessKey = ''] = lines;
  return { accessKeyId, secretAccessKey };
}

/** remote.log's s3creds when the remote has no cipher: base64 of the UTF-8 of the pair (annex-format §6.5). */
export function decodeUnencryptedS3Creds(base64: string): S3Credentials | undefined {
  return decodeCredPair(Buffer.from(base64, 'base64').toString('utf8'));
}

export async function readAnnexCreds(file: string): Promise<S3Credentials | undefined> {
  try {
    return decodeCredPair(await readFile(file, 'utf8'));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw fileSystemError(err, 'read the credentials file', file);
  }
}

/** Caches the pair the way git-annex does: mode 600 in .git/annex/creds (git-annex reads it back). */
export async function writeAnnexCreds(file: string, creds: S3Credentials): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o755 });
  await writeFileAtomic(file, encodeCredPair(creds), { mode: 0o600, fsync: true });
}

function fromEnv(env: NodeJS.ProcessEnv): S3Credentials | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  const sessionToken = env.AWS_SESSION_TOKEN;
  return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
}

export async function resolveS3Credentials(places: S3CredentialPlaces): Promise<ResolvedS3Credentials> {
  if (places.explicit) return { credentials: places.explicit, source: 'explicit' };
  const env = fromEnv(places.env ?? process.env);
  if (env) return { credentials: env, source: 'environment' };
  const cached = places.credsFile === undefined ? undefined : await readAnnexCreds(places.credsFile);
  if (cached) return { credentials: cached, source: 'git-annex creds file' };
  if (places.embedded) return { credentials: places.embedded, source: 'remote.log' };
  return { credentials: undefined, source: 'AWS default chain' };
}
