// The s3rver child process that test/servers/s3rver.ts starts: s3rver 3.7.1 on 127.0.0.1 plus the S3
// behaviours it lacks and ferry relies on, written here against S3's documented API:
// - PutObject and UploadPart are atomic (temp file + rename; an aborted body leaves nothing), as on S3;
//   s3rver writes in place, so a killed upload would leave a partial object readable.
// - GetObject reads the file it opened (size from that descriptor), so a replace during a read gives the old
//   or the new bytes, never a Content-Length of one and the body of the other; bytes=0-0 is one byte.
// - ListMultipartUploads, ListParts and AbortMultipartUpload (s3rver answers NotImplemented/405), which
//   S3Store's resumable multipart upload needs.
// With `--damage PREFIX` it flips the first byte of every object and part whose key starts with PREFIX (a
// hostile or broken server, for the upload check). It prints one JSON line `{"listening":PORT}` when ready and `{"part":N,"key":K}` per stored part, so a
// test can count the parts the server really received.
import { randomBytes, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';

interface Ctx {
  method: string;
  path: string;
  query: Record<string, string | undefined>;
  params: Record<string, string>;
  status: number;
  body: unknown;
}
type Next = () => Promise<void>;
type Middleware = (ctx: Ctx, next: Next) => Promise<void>;
interface S3rverApp {
  middleware: Middleware[];
  run(): Promise<{ port: number }>;
}
interface FsStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: unknown, md5: string): Promise<void>;
  getMetadata(bucket: string, key: string): Promise<Record<string, unknown>>;
  putObject: unknown;
  putPart: unknown;
  getObject: unknown;
}
interface S3ObjectModel { content: Readable | null; range?: { start: number; end: number } }
interface StoredObject { bucket: string; key: string; content: Readable | Buffer; metadata: unknown }

const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as new (opts: Record<string, unknown>) => S3rverApp;
const FilesystemStore = require('s3rver/lib/stores/filesystem.js') as { prototype: FsStore };
const authentication = require('s3rver/lib/middleware/authentication.js') as () => Middleware;
const S3Object = require('s3rver/lib/models/object.js') as new (bucket: string, key: string, content: null, metadata: object) => S3ObjectModel;
const S3Error = require('s3rver/lib/models/error.js') as new (code: string, message: string, detail?: object) => Error;

/** Streams `content` into `path` through a temp file, renamed only once the whole body arrived. */
async function writeAtomically(path: string, content: Readable | Buffer, damage = false): Promise<{ size: number; md5: string }> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  const md5 = createHash('md5');
  let size = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      // --damage: the first byte flipped as if changed on the wire; the MD5 is of what is stored, as on S3.
      if (damage && size === 0 && chunk.length > 0) chunk = Buffer.concat([Buffer.from([chunk[0]! ^ 1]), chunk.subarray(1)]);
      md5.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  try {
    if (Buffer.isBuffer(content)) {
      count.end(content);
      await pipeline(count, createWriteStream(tmp));
    } else {
      await pipeline(content, count, createWriteStream(tmp));
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return { size, md5: md5.digest('hex') };
}

FilesystemStore.prototype.putObject = async function putObject(this: FsStore, object: StoredObject) {
  const result = await writeAtomically(this.getResourcePath(object.bucket, object.key, 'object'), object.content, damaged(object.key));
  await this.putMetadata(object.bucket, object.key, object.metadata, result.md5);
  return result;
};

FilesystemStore.prototype.putPart = async function putPart(
  this: FsStore, bucket: string, uploadId: string, partNumber: string, content: Readable,
) {
  const partPath = join(this.getResourcePath(bucket, undefined, 'uploads'), uploadId, String(partNumber));
  const key = await readFile(join(dirname(partPath), 'key'), 'utf8');
  const result = await writeAtomically(partPath, content, damaged(key));
  await writeFile(`${partPath}.md5`, result.md5);
  process.stdout.write(`${JSON.stringify({ part: Number(partNumber), key })}\n`);
  return result;
};

FilesystemStore.prototype.getObject = async function getObject(
  this: FsStore, bucket: string, key: string, options?: { start?: number; end?: number },
) {
  const fh = await open(this.getResourcePath(bucket, key, 'object'), 'r').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!fh) return null;
  try {
    const st = await fh.stat();
    const metadata = { ...(await this.getMetadata(bucket, key)), 'content-length': st.size, 'last-modified': st.mtime.toUTCString() };
    const object = new S3Object(bucket, key, null, metadata);
    const ranged = options !== undefined && (options.start !== undefined || options.end !== undefined);
    const start = options?.start ?? 0;
    const end = Math.min(options?.end ?? Infinity, Math.max(0, st.size - 1));
    if (ranged) object.range = { start, end };
    if (ranged && (start < 0 || start >= st.size || end < start)) {
      await fh.close();
      return object; // no content: s3rver answers InvalidRange
    }
    object.content = fh.createReadStream({ start, end: st.size === 0 ? undefined : end });
    return object;
  } catch (err) {
    await fh.close();
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null; // deleted while we looked
    throw err;
  }
};

/** Whether the test asked for this object's bytes to be damaged (`--damage KEY-PREFIX`). */
function damaged(key: string): boolean {
  const prefix = option('--damage');
  return prefix !== undefined && key.startsWith(prefix);
}

function uploadsDir(store: FsStore, bucket: string): string {
  return store.getResourcePath(bucket, undefined, 'uploads');
}

async function listUploads(store: FsStore, bucket: string, prefix: string): Promise<object> {
  const dir = uploadsDir(store, bucket);
  const ids = await readdir(dir).catch(() => [] as string[]);
  const uploads = [];
  for (const id of ids.sort()) {
    const key = await readFile(join(dir, id, 'key'), 'utf8').catch(() => undefined);
    if (key === undefined || !key.startsWith(prefix)) continue;
    const initiated = (await stat(join(dir, id, 'key'))).mtime.toISOString();
    uploads.push({ Key: key, UploadId: id, Initiated: initiated, StorageClass: 'STANDARD' });
  }
  return {
    ListMultipartUploadsResult: {
      Bucket: bucket, Prefix: prefix, KeyMarker: '', UploadIdMarker: '', MaxUploads: 1000, IsTruncated: false,
      Upload: uploads,
    },
  };
}

async function listParts(store: FsStore, bucket: string, key: string, uploadId: string): Promise<object> {
  const dir = join(uploadsDir(store, bucket), uploadId);
  const storedKey = await readFile(join(dir, 'key'), 'utf8').catch(() => undefined);
  if (storedKey !== key) throw new S3Error('NoSuchUpload', 'The specified upload does not exist.', { UploadId: uploadId });
  const numbers = (await readdir(dir)).filter((f) => /^\d+$/.test(f)).map(Number).sort((a, b) => a - b);
  const parts = [];
  for (const n of numbers) {
    const md5 = await readFile(join(dir, `${n}.md5`), 'utf8').catch(() => undefined);
    if (md5 === undefined) continue;
    const st = await stat(join(dir, String(n)));
    parts.push({ PartNumber: n, LastModified: st.mtime.toISOString(), ETag: JSON.stringify(md5), Size: st.size });
  }
  return {
    ListPartsResult: {
      Bucket: bucket, Key: key, UploadId: uploadId, PartNumberMarker: 0, MaxParts: 10000, IsTruncated: false,
      Part: parts,
    },
  };
}

async function abortUpload(store: FsStore, bucket: string, key: string, uploadId: string): Promise<void> {
  const dir = join(uploadsDir(store, bucket), uploadId);
  const storedKey = await readFile(join(dir, 'key'), 'utf8').catch(() => undefined);
  if (storedKey !== key) throw new S3Error('NoSuchUpload', 'The specified upload does not exist.', { UploadId: uploadId });
  await rm(dir, { recursive: true, force: true });
}

/** Answers the three multipart requests s3rver lacks (path-style only), after s3rver's own auth check. */
function multipartExtras(store: FsStore): Middleware {
  const auth = authentication();
  return async (ctx, next) => {
    const [, bucketPart = '', ...keyParts] = ctx.path.split('/');
    const bucket = decodeURIComponent(bucketPart);
    const key = keyParts.map(decodeURIComponent).join('/');
    const uploadId = ctx.query.uploadId;
    let handler: (() => Promise<void>) | undefined;
    if (ctx.method === 'GET' && key === '' && bucket !== '' && 'uploads' in ctx.query) {
      handler = async () => { ctx.body = await listUploads(store, bucket, ctx.query.prefix ?? ''); };
    } else if (ctx.method === 'GET' && key !== '' && uploadId !== undefined) {
      handler = async () => { ctx.body = await listParts(store, bucket, key, uploadId); };
    } else if (ctx.method === 'DELETE' && key !== '' && uploadId !== undefined) {
      handler = async () => { await abortUpload(store, bucket, key, uploadId); ctx.status = 204; ctx.body = ''; };
    }
    if (!handler) return next();
    ctx.params = key === '' ? { bucket } : { bucket, key };
    await auth(ctx, handler);
  };
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

const directory = option('--directory');
if (!directory) throw new Error('usage: s3rver-main --directory DIR [--address IP] [--port N] [--bucket NAME]');
const bucket = option('--bucket');
const server = new S3rver({
  address: option('--address') ?? '127.0.0.1',
  port: Number(option('--port') ?? 0),
  directory,
  silent: true,
  configureBuckets: bucket ? [{ name: bucket, configs: [] }] : [],
});
const store = (server as unknown as { store: FsStore }).store;
// Just before s3rver's router (the last middleware), after its XML encoder and vhost handling.
server.middleware.splice(server.middleware.length - 1, 0, multipartExtras(store));
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ listening: port })}\n`);
