// type=S3 (annex-format §7): any S3-compatible endpoint. Parameters and their stored defaults as git-annex
// 10.20230126 writes them, so git-annex enables a bucket ferry made: the AWS SDK signs v4 only, so ferry
// stores signature=v4 (git-annex's default here is v2), and for an endpoint other than AWS's it uses and
// stores requeststyle=path (an IP address or a private host has no per-bucket names).
import { StoreNotFoundError, annexCredsFile, openS3Store, resolveS3Credentials, writeAnnexCreds } from '../../store/index.js';
import type { S3Credentials, S3Store, Store } from '../../store/index.js';
import { FerryError, parseSize } from '../../../util/index.js';
import { BadRemoteConfigError } from '../config.js';
import { S3_CREDS_FIELD, decodeEmbeddedCreds, encodeEmbeddedCreds, wantsEmbeddedCreds } from '../embedded-creds.js';
import type { ParamSpec } from '../config.js';
import { s3Layout } from '../layout.js';
import type { SpecialType, TypeContext } from './type.js';

/** git-annex's expensiveRemoteCost. */
const S3_COST = 200;
const AWS_HOST = 's3.amazonaws.com';
/** The object git-annex keeps in the bucket to say which remote it is (§7), holding the uuid, no newline. */
const MARKER = 'annex-uuid';

const number = (what: string) => (v: string) => (/^[0-9]+$/.test(v) ? undefined : `expected ${what}, got '${v}'`);

const PARAMS: readonly ParamSpec[] = [
  { name: 'bucket', help: 'the bucket (default NAME-UUID, lower-cased); created when missing' },
  { name: 'datacenter', default: 'US', help: 'the region: US (us-east-1), EU (eu-west-1), or a region name' },
  { name: 'storageclass', default: 'STANDARD', help: 'STANDARD, STANDARD_IA, ... as S3 names them' },
  { name: 'host', default: AWS_HOST, help: 'the endpoint host of an S3-compatible service' },
  { name: 'port', default: '80', help: 'the endpoint port (443 implies https)', check: number('a port number') },
  { name: 'protocol', help: 'http or https', check: (v) => (v === 'http' || v === 'https' ? undefined : `expected http or https, got '${v}'`) },
  { name: 'requeststyle', help: 'path for path-style requests (default for endpoints other than AWS)', check: (v) => (v === 'path' ? undefined : `only 'path' is accepted (otherwise virtual-host style), got '${v}'`) },
  { name: 'signature', help: 'v4 (the only signature ferry speaks)', check: (v) => (v === 'v4' ? undefined : `ferry signs with v4 only, got '${v}'`) },
  { name: 'fileprefix', help: 'put before every object name, e.g. annex/' },
  { name: 'partsize', help: 'multipart upload part size for large objects, e.g. 64MiB', check: (v) => (parseSize(v) === undefined ? `expected a size such as 64MiB, got '${v}'` : undefined) },
  { name: 'public', help: 'no (public buckets are not supported yet)', check: (v) => (v === 'no' ? undefined : 'public access is not supported yet') },
];

export const s3Type: SpecialType = {
  name: 'S3',
  params: PARAMS,
  baseCost: S3_COST,
  layout: s3Layout,
  gitConfig: new Map([['s3', 'true']]),
  defaults(config, { name, uuid }) {
    for (const p of PARAMS) if (p.default !== undefined && !config.has(p.name)) config.set(p.name, p.default);
    if (!config.has('bucket')) config.set('bucket', `${name}-${uuid}`);
    config.set('signature', 'v4');
    if (config.get('host') !== AWS_HOST && !config.has('requeststyle')) config.set('requeststyle', 'path');
  },
  openStore: openS3,
  embedCredentials,
  async prepare(ctx) {
    const store = await openS3(ctx);
    try {
      await store.ensureBucket();
      await checkMarker(store, ctx, true);
    } finally {
      await store.close();
    }
    await cacheCredentials(ctx);
  },
  async verify(ctx) {
    const store = await openS3(ctx);
    try {
      await checkMarker(store, ctx, false);
    } finally {
      await store.close();
    }
    await cacheCredentials(ctx);
  },
};

/**
 * The bucket's store. A remote git-annex made with its default signature=v2 is spoken to with v4, which
 * AWS and the S3-compatible servers that took v2 also accept.
 */
async function openS3(ctx: TypeContext): Promise<S3Store> {
  const c = ctx.config;
  if (c.get('signature') === 'anonymous') throw new BadRemoteConfigError('signature', 'anonymous S3 access is not supported yet');
  const credentials = await credentialsOf(ctx);
  const port = c.get('port');
  const protocol = c.get('protocol');
  const partText = c.get('partsize');
  return openS3Store({
    bucket: (c.get('bucket') ?? `${ctx.name}-${ctx.uuid}`).toLowerCase(),
    host: c.get('host'),
    ...(port !== undefined ? { port: Number(port) } : {}),
    ...(protocol === 'http' || protocol === 'https' ? { protocol } : {}),
    datacenter: c.get('datacenter'),
    pathStyle: c.get('requeststyle') === 'path',
    prefix: c.get('fileprefix') ?? '',
    ...(credentials ? { credentials } : {}),
    remote: ctx.name,
    ...(partText !== undefined && parseSize(partText) !== undefined ? { partSize: parseSize(partText)! } : {}),
  });
}

/**
 * git-annex's order (Creds.hs): the environment, the cache file, then remote.log's s3creds (decrypted only
 * when needed: git-annex's own costs one 65M-iteration S2K), then the SDK's chain (undefined).
 */
async function credentialsOf(ctx: TypeContext): Promise<S3Credentials | undefined> {
  const { credentials, source } = await resolveS3Credentials({ credsFile: annexCredsFile(ctx.gitDir, ctx.uuid) });
  if (source !== 'AWS default chain') return credentials;
  return decodeEmbeddedCreds(ctx.name, ctx.config);
}

/**
 * As git-annex does at initremote and enableremote: a pair from the environment or from remote.log is
 * cached for this clone (mode 600), so later commands need neither.
 */
async function cacheCredentials(ctx: TypeContext): Promise<void> {
  const { credentials, source } = await resolveS3Credentials({});
  const pair = credentials && source === 'environment' ? credentials : await decodeEmbeddedCreds(ctx.name, ctx.config);
  if (pair) await writeAnnexCreds(annexCredsFile(ctx.gitDir, ctx.uuid), pair);
}

/**
 * embedcreds=yes: the pair of the environment (or, at enableremote, this clone's cache) into remote.log's
 * s3creds, encrypted with the cipher when there is one (embedded-creds.ts). At enableremote an unchanged
 * pair is left as it is, so remote.log does not change for nothing.
 */
async function embedCredentials(ctx: TypeContext, initial: boolean): Promise<ReadonlyMap<string, string>> {
  if (!wantsEmbeddedCreds(ctx.config)) return new Map();
  const { credentials, source } = await resolveS3Credentials({ credsFile: initial ? undefined : annexCredsFile(ctx.gitDir, ctx.uuid) });
  if (!credentials || (source !== 'environment' && source !== 'git-annex creds file')) {
    if (!initial) return new Map();
    throw new BadRemoteConfigError('embedcreds', 'yes needs the key pair in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
      'set both for this command; the pair is then kept in remote.log for every clone');
  }
  if (credentials.sessionToken !== undefined) {
    throw new BadRemoteConfigError('embedcreds', 'temporary credentials (AWS_SESSION_TOKEN is set) cannot be embedded: git-annex keeps a key id and secret only',
      'use a long-lived key pair, or embedcreds=no');
  }
  if (!initial) {
    const current = await decodeEmbeddedCreds(ctx.name, ctx.config).catch(() => undefined);
    if (current?.accessKeyId === credentials.accessKeyId && current.secretAccessKey === credentials.secretAccessKey) return new Map();
  }
  return new Map([[S3_CREDS_FIELD, await encodeEmbeddedCreds(ctx.config, credentials)]]);
}

/** The bucket's annex-uuid marker must be this remote's; initremote writes it when absent. */
async function checkMarker(store: Store, ctx: TypeContext, write: boolean): Promise<void> {
  let held: string | undefined;
  try {
    const chunks: Buffer[] = [];
    for await (const c of await store.get(MARKER)) chunks.push(Buffer.from(c as Uint8Array));
    held = Buffer.concat(chunks).toString('utf8');
  } catch (err) {
    if (!(err instanceof StoreNotFoundError)) throw err;
  }
  if (held !== undefined && held !== ctx.uuid) {
    throw new FerryError(`${store.description} belongs to another remote (its annex-uuid is ${held}, not ${ctx.uuid})`, {
      data: { remote: ctx.name, found: held, expected: ctx.uuid },
      hint: 'use another bucket or fileprefix, or enable the remote that owns it',
    });
  }
  if (held === undefined && write) await store.put(MARKER, { bytes: Buffer.from(ctx.uuid, 'utf8') });
}
