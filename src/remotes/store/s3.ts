// The S3 backend: AWS SDK v3 against any S3-compatible endpoint (AWS, MinIO, s3rver). Object keys are
// fileprefix + name with no escaping (annex-format §7). Small sources go up in one PutObject, larger ones
// as a resumable multipart upload (s3-multipart.ts). Every error is translated in s3-errors.ts; the SDK's
// own retries are off (maxAttempts 1) because the retry wrapper owns retrying and the backoff.
import { createReadStream } from 'node:fs';
import { stat as statFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand,
  ListObjectsV2Command, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import { fileSystemError } from '../../util/index.js';
import { StoreNotFoundError, StorePermanentError, StoreTransientError } from './store.js';
import type { GetOptions, PutOptions, PutSource, Store, StoreCapabilities, StoreEntry, StoreStat } from './store.js';
import { translateS3Error } from './s3-errors.js';
import type { S3ErrorContext } from './s3-errors.js';
import { boundedBody, guardedBody } from './s3-body.js';
import { bufferPart, md5OfStream, putMultipart, readParts, sliceStream, toAsync } from './s3-multipart.js';
import type { PartPlan } from './s3-multipart.js';
import type { S3Credentials } from './s3-credentials.js';

const MiB = 1 << 20;
/** S3's limits: parts of at least 5 MiB (all but the last), at most 10,000 of them. */
const minPartSize = 5 * MiB;
const maxParts = 10_000;

export interface S3StoreOptions {
  readonly bucket: string;
  /** git-annex's host; undefined or s3.amazonaws.com means AWS's own regional endpoint. */
  readonly host?: string;
  readonly port?: number;
  readonly protocol?: 'http' | 'https';
  /** git-annex's datacenter: US (the default) is us-east-1, EU is eu-west-1, anything else a region name. */
  readonly datacenter?: string;
  /** git-annex's requeststyle=path; otherwise virtual-host style (bucket in the host name). */
  readonly pathStyle?: boolean;
  /** git-annex's fileprefix, put before every name as it is. */
  readonly prefix?: string;
  /** From resolveS3Credentials; undefined lets the SDK's default chain (~/.aws, roles) find them. */
  readonly credentials?: S3Credentials;
  /** The remote's name, for hints ("check the credentials of remote NAME"). */
  readonly remote?: string;
  /**
   * git-annex's partsize: sources larger than this go up as a multipart upload in parts of this size (at
   * least 5 MiB). Unset: parts of 16 MiB for sources over multipartThreshold.
   */
  readonly partSize?: number;
  /** Sources up to this size go in one PutObject; default partSize when given, else 200 MiB (rclone's cutoff). */
  readonly multipartThreshold?: number;
  /** Parts of a file or bytes source sent at once (default 4); a stream's parts go one at a time. */
  readonly partConcurrency?: number;
  /** A request whose socket is idle this long fails (transient). */
  readonly idleTimeoutMs?: number;
}

/** git-annex's datacenter field as an AWS region. */
export function regionOf(datacenter: string | undefined): string {
  if (datacenter === undefined || datacenter === '' || datacenter === 'US') return 'us-east-1';
  if (datacenter === 'EU') return 'eu-west-1';
  return datacenter;
}

/** The endpoint URL from git-annex's host/port/protocol (annex-format §7), or undefined for AWS itself. */
export function endpointOf(opts: Pick<S3StoreOptions, 'host' | 'port' | 'protocol'>): string | undefined {
  if (opts.host === undefined || opts.host === 's3.amazonaws.com') return undefined;
  const protocol = opts.protocol ?? (opts.port === 443 ? 'https' : 'http');
  // git-annex stores port=80 by default; with protocol=https that means 443.
  const port = opts.port === undefined || (protocol === 'https' && opts.port === 80) ? (protocol === 'https' ? 443 : 80) : opts.port;
  return `${protocol}://${opts.host}:${port}`;
}

const quietLogger = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

const isMd5Etag = (etag: string) => /^[0-9a-f]{32}$/.test(etag);

const stripQuotes = (etag: string | undefined) => (etag ?? '').replace(/"/g, '');

export class S3Store implements Store {
  readonly description: string;
  readonly capabilities: StoreCapabilities = { durableOnPut: true, atomicReplace: true, maxConcurrency: 8 };
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly region: string;
  private readonly partSize: number;
  private readonly threshold: number;
  private readonly partConcurrency: number;
  private readonly remote: string | undefined;

  constructor(opts: S3StoreOptions) {
    this.bucket = opts.bucket;
    this.prefix = opts.prefix ?? '';
    this.region = regionOf(opts.datacenter);
    this.partSize = Math.max(minPartSize, opts.partSize ?? 16 * MiB);
    // One request is the cheapest way up (a multipart upload costs three more requests, and servers such as
    // s3rver copy the parts once more to assemble them); parts pay off where a resend would be expensive.
    this.partConcurrency = Math.max(1, opts.partConcurrency ?? 4);
    this.threshold = Math.max(this.partSize, opts.multipartThreshold ?? opts.partSize ?? 200 * MiB);
    this.remote = opts.remote;
    const endpoint = endpointOf(opts);
    // The SDK warns on every start under Node < 22 (ferry supports 20); the pinned version works there.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.description = `S3 ${endpoint ?? `AWS ${this.region}`}/${this.bucket}${this.prefix === '' ? '' : `/${this.prefix}`}`;
    this.client = new S3Client({
      region: this.region,
      endpoint,
      forcePathStyle: opts.pathStyle ?? false,
      credentials: opts.credentials,
      maxAttempts: 1,
      // Silent: the SDK would print to the console; every failure reaches the caller as a Store error.
      logger: quietLogger,
      followRegionRedirects: endpoint === undefined,
      // Checksums only where S3 demands them: s3rver and older S3-compatible servers do not understand the
      // aws-chunked trailer the SDK would otherwise send; integrity comes from the MD5 ETag check instead.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        connectionTimeout: 10_000,
        requestTimeout: opts.idleTimeoutMs ?? 120_000,
        httpAgent: { keepAlive: true, maxSockets: 32 },
        httpsAgent: { keepAlive: true, maxSockets: 32 },
      },
    });
  }

  private key(name: string): string {
    return this.prefix + name;
  }

  private context(name?: string): S3ErrorContext {
    return { store: this.description, bucket: this.bucket, name, remote: this.remote === undefined ? undefined : `remote ${this.remote}` };
  }

  /** HeadBucket, and CreateBucket when missing, as git-annex's initremote does; us-east-1 takes no LocationConstraint. */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status !== 404) throw translateS3Error(err, this.context(), `check bucket ${this.bucket}`);
    }
    try {
      await this.client.send(new CreateBucketCommand({
        Bucket: this.bucket,
        CreateBucketConfiguration: this.region === 'us-east-1' ? undefined : { LocationConstraint: this.region as never },
      }));
    } catch (err) {
      if ((err as { name?: string }).name === 'BucketAlreadyOwnedByYou') return;
      throw translateS3Error(err, this.context(), `create bucket ${this.bucket}`);
    }
  }

  async put(name: string, source: PutSource, opts: PutOptions = {}): Promise<void> {
    const ctx = this.context(name);
    try {
      if ('bytes' in source) return await this.putBytes(name, source.bytes, opts);
      if ('path' in source) return await this.putFile(name, source, opts);
      return await this.putStream(name, source, opts);
    } catch (err) {
      const e = translateS3Error(err, ctx, 'store');
      if (e instanceof StoreTransientError) {
        // A server that refuses a request before reading its body (403 for a wrong key) closes the
        // connection under the upload (EPIPE); a cheap request tells whether retrying can help at all.
        const probe = await this.stat(name).then(() => undefined, (why: unknown) => why);
        if (probe instanceof StorePermanentError) throw probe;
      }
      throw e;
    }
  }

  private async putFile(name: string, source: { path: string; offset?: number; size?: number }, opts: PutOptions): Promise<void> {
    const offset = source.offset ?? 0;
    let size = source.size;
    if (size === undefined) {
      const st = await statFile(source.path).catch((err: unknown) => { throw fileSystemError(err, 'read', source.path); });
      size = Math.max(0, st.size - offset);
    }
    const range = (start: number, length: number) => () =>
      length === 0 ? Readable.from([]) : createReadStream(source.path, { start: offset + start, end: offset + start + length - 1, highWaterMark: MiB });
    if (size <= this.threshold) return this.putSingle(name, range(0, size), size, opts);
    const partSize = this.partSizeFor(size);
    const total = size;
    const parts = (function* (): Generator<PartPlan> {
      for (let n = 1, at = 0; at < total; n++, at += partSize) {
        const open = range(at, Math.min(partSize, total - at));
        yield { number: n, size: Math.min(partSize, total - at), md5: () => md5OfStream(open()), open };
      }
    })();
    return this.putParts(name, toAsync(parts), opts);
  }

  private async putBytes(name: string, bytes: Uint8Array, opts: PutOptions): Promise<void> {
    if (bytes.length <= this.threshold) return this.putSingle(name, () => sliceStream(bytes), bytes.length, opts);
    const partSize = this.partSizeFor(bytes.length);
    const parts = (function* (): Generator<PartPlan> {
      for (let n = 1, at = 0; at < bytes.length; n++, at += partSize) {
        yield bufferPart(n, bytes.subarray(at, Math.min(at + partSize, bytes.length)));
      }
    })();
    return this.putParts(name, toAsync(parts), opts);
  }

  /** A stream source: one PutObject when its size is known and small enough, else parts read one at a time (memory: one part). */
  private async putStream(name: string, source: { open: () => Readable; size?: number }, opts: PutOptions): Promise<void> {
    if (source.size !== undefined && source.size <= this.threshold) return this.putSingle(name, source.open, source.size, opts);
    const partSize = source.size === undefined ? this.partSize : this.partSizeFor(source.size);
    const chunks = readParts(source.open(), partSize);
    const first = await chunks.next();
    const firstPart = first.done ? Buffer.alloc(0) : first.value;
    if (firstPart.length < partSize) return this.putSingle(name, () => sliceStream(firstPart), firstPart.length, opts);
    async function* parts(): AsyncGenerator<PartPlan> {
      let n = 1;
      yield bufferPart(n++, firstPart);
      for await (const buf of chunks) yield bufferPart(n++, buf);
    }
    return this.putParts(name, parts(), opts, true);
  }

  private partSizeFor(size: number): number {
    return Math.max(this.partSize, Math.ceil(size / maxParts));
  }

  /** `inMemory`: the parts are buffers read from a stream, so one at a time keeps memory at one part. */
  private putParts(name: string, parts: AsyncIterable<PartPlan>, opts: PutOptions, inMemory = false): Promise<void> {
    return putMultipart({
      client: this.client, bucket: this.bucket, key: this.key(name), errors: this.context(name),
      signal: opts.signal, progress: (n) => opts.progress?.(n),
    }, parts, inMemory ? 1 : this.partConcurrency);
  }

  /** One PutObject; the ETag the server returns must be the MD5 of the bytes sent (S3 without KMS). */
  private async putSingle(name: string, open: () => Readable, size: number, opts: PutOptions): Promise<void> {
    let sent = 0;
    const g = guardedBody(open(), size, (n) => { sent += n; opts.progress?.(sent); }, opts.signal, () =>
      new StorePermanentError(this.description, `${name}: the source changed size while it was sent (${sent} of ${size} bytes)`, { name }));
    let out;
    try {
      out = await this.client.send(new PutObjectCommand({
        Bucket: this.bucket, Key: this.key(name), Body: g.body, ContentLength: size,
      }), { abortSignal: g.signal });
    } catch (err) {
      throw g.failure() ?? err;
    }
    const ours = g.md5();
    const etag = stripQuotes(out.ETag).toLowerCase();
    // Only an MD5-shaped ETag can be checked (not under KMS, nor on servers that use other ETags); a mismatch
    // means the bytes were damaged on the way, and sending them again replaces the damaged object.
    if (isMd5Etag(etag) && !out.ServerSideEncryption?.startsWith('aws:kms') && etag !== ours) {
      throw new StoreTransientError(this.description, `the server stored ${name} with ETag ${etag}, but the bytes sent have MD5 ${ours}`, { name });
    }
  }

  async get(name: string, opts: GetOptions = {}): Promise<Readable> {
    const ctx = this.context(name);
    const offset = opts.offset ?? 0;
    if (opts.length === 0) return this.emptyIfPresent(name);
    const range = offset === 0 && opts.length === undefined ? undefined
      : `bytes=${offset}-${opts.length === undefined ? '' : offset + opts.length - 1}`;
    let out;
    try {
      out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(name), Range: range }), { abortSignal: opts.signal });
    } catch (err) {
      const e = translateS3Error(err, ctx, 'read');
      // 416: the offset is at or past the end; the contract says an empty stream for an existing object.
      if (e instanceof StorePermanentError && (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416) {
        return this.emptyIfPresent(name);
      }
      throw e;
    }
    const body = out.Body as Readable | undefined;
    if (!body) return Readable.from([]);
    // A server that ignores Range answers from byte 0 (or, like s3rver for bytes=0-0, past the end asked).
    const start = Number(/^bytes (\d+)-/.exec(out.ContentRange ?? '')?.[1] ?? 0);
    return boundedBody(body, ctx, { skip: offset - start, limit: opts.length, expected: out.ContentLength, signal: opts.signal });
  }

  private async emptyIfPresent(name: string): Promise<Readable> {
    if (!(await this.stat(name))) throw new StoreNotFoundError(this.description, name);
    return Readable.from([]);
  }

  async stat(name: string): Promise<StoreStat | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(name) }));
      return { size: out.ContentLength ?? 0, etag: stripQuotes(out.ETag) };
    } catch (err) {
      const e = translateS3Error(err, this.context(name), 'check');
      if (e instanceof StoreNotFoundError) return undefined;
      throw e;
    }
  }

  async delete(name: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(name) }));
    } catch (err) {
      const e = translateS3Error(err, this.context(name), 'remove');
      if (!(e instanceof StoreNotFoundError)) throw e;
    }
  }

  async *list(prefix: string): AsyncIterable<StoreEntry> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.key(prefix), ContinuationToken: token }));
      } catch (err) {
        throw translateS3Error(err, this.context(), `list ${this.key(prefix)}* in`);
      }
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined || !o.Key.startsWith(this.prefix)) continue;
        yield { name: o.Key.slice(this.prefix.length), size: o.Size ?? 0, etag: stripQuotes(o.ETag) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.client.destroy();
    return Promise.resolve();
  }
}
