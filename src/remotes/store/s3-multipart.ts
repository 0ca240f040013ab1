// Resumable multipart upload. S3 keeps the parts of an unfinished upload; a later put of the same object
// finds that upload (ListMultipartUploads with the exact key, newest first), lists its parts, and sends
// again only the parts whose size or MD5 ETag differs from the source's bytes. The object appears only at
// CompleteMultipartUpload, so a reader never sees part of it; a permanent error aborts the upload, a
// transient one leaves it for the retry to resume.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand,
  ListMultipartUploadsCommand, ListPartsCommand, UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { isTransient, StorePermanentError, StoreTransientError } from './store.js';
import { isAbort, translateS3Error } from './s3-errors.js';
import { guardedBody } from './s3-body.js';
import type { S3ErrorContext } from './s3-errors.js';

/** One part of the source: its bytes can be hashed without sending and opened again to send. */
export interface PartPlan {
  readonly number: number;
  readonly size: number;
  /** MD5 (hex) of the part's bytes, read but not sent: the resume check. */
  md5(): Promise<string>;
  /** A fresh stream of the part's bytes. */
  open(): Readable;
}

export interface MultipartTarget {
  readonly client: S3Client;
  readonly bucket: string;
  /** The full object key (fileprefix included). */
  readonly key: string;
  readonly errors: S3ErrorContext;
  readonly signal?: AbortSignal;
  /** Bytes of the object done so far (parts kept count at once). */
  progress?(bytes: number): void;
}

interface ExistingPart { readonly etag: string; readonly size: number }

const md5Hex = (etag: string | undefined) => (etag ?? '').replace(/"/g, '').toLowerCase();

/** The newest unfinished upload of exactly `key` and its parts, or undefined (also where listing is unsupported). */
async function findUpload(t: MultipartTarget): Promise<{ uploadId: string; parts: Map<number, ExistingPart> } | undefined> {
  const send = { abortSignal: t.signal };
  let newest: { id: string; at: number } | undefined;
  try {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await t.client.send(new ListMultipartUploadsCommand({
        Bucket: t.bucket, Prefix: t.key, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker,
      }), send);
      for (const u of page.Uploads ?? []) {
        if (u.Key !== t.key || !u.UploadId) continue;
        const at = u.Initiated?.getTime() ?? 0;
        if (!newest || at >= newest.at) newest = { id: u.UploadId, at };
      }
      if (!page.IsTruncated) break;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    // Servers without the listing (501, 405) simply cannot resume; anything else is a real failure.
    if (status === 501 || status === 405) return undefined;
    throw err;
  }
  if (!newest) return undefined;
  const parts = new Map<number, ExistingPart>();
  try {
    let marker: string | undefined;
    for (;;) {
      const page = await t.client.send(new ListPartsCommand({
        Bucket: t.bucket, Key: t.key, UploadId: newest.id, PartNumberMarker: marker,
      }), send);
      for (const p of page.Parts ?? []) {
        if (p.PartNumber !== undefined) parts.set(p.PartNumber, { etag: md5Hex(p.ETag), size: p.Size ?? -1 });
      }
      if (!page.IsTruncated) break;
      marker = page.NextPartNumberMarker;
    }
  } catch (err) {
    // Completed or aborted by someone else since the listing: start afresh.
    if ((err as { name?: string }).name === 'NoSuchUpload') return undefined;
    throw err;
  }
  return { uploadId: newest.id, parts };
}

/** Sends one part, hashing what is sent; the returned ETag must be that MD5 (unless the bucket encrypts with KMS). */
async function sendPart(t: MultipartTarget, uploadId: string, part: PartPlan, sent: (n: number) => void): Promise<string> {
  const g = guardedBody(part.open(), part.size, sent, t.signal, () =>
    new StorePermanentError(t.errors.store, `part ${part.number} of ${t.errors.name ?? t.key}: the source changed size while it was sent`, { name: t.errors.name }));
  let out;
  try {
    out = await t.client.send(new UploadPartCommand({
      Bucket: t.bucket, Key: t.key, UploadId: uploadId, PartNumber: part.number, Body: g.body, ContentLength: part.size,
    }), { abortSignal: g.signal });
  } catch (err) {
    throw g.failure() ?? err;
  }
  const ours = g.md5();
  const etag = md5Hex(out.ETag);
  if (/^[0-9a-f]{32}$/.test(etag) && !out.ServerSideEncryption?.startsWith('aws:kms') && etag !== ours) {
    throw new StoreTransientError(t.errors.store, `part ${part.number} of ${t.errors.name ?? t.key} arrived damaged (ETag ${etag}, sent ${ours})`, { name: t.errors.name });
  }
  return etag;
}

/**
 * Uploads `parts` (numbered from 1, in order) as `key`, resuming an unfinished upload of the same key.
 * `concurrency` parts go up at once (one for a stream source, whose parts are held in memory); the first
 * failure stops the others.
 */
export async function putMultipart(t: MultipartTarget, parts: AsyncIterable<PartPlan>, concurrency = 1): Promise<void> {
  const found = await findUpload(t).catch((err: unknown) => { throw translateS3Error(err, t.errors, 'list unfinished uploads of'); });
  let uploadId = found?.uploadId;
  const stop = new AbortController();
  const inner: MultipartTarget = { ...t, signal: t.signal ? AbortSignal.any([t.signal, stop.signal]) : stop.signal };
  try {
    if (uploadId === undefined) {
      const created = await t.client.send(new CreateMultipartUploadCommand({ Bucket: t.bucket, Key: t.key }), { abortSignal: t.signal });
      uploadId = created.UploadId;
      if (!uploadId) throw new StoreTransientError(t.errors.store, `no upload id in the answer to starting an upload of ${t.errors.name ?? t.key}`);
    }
    const id = uploadId;
    const done: { PartNumber: number; ETag: string }[] = [];
    let bytes = 0;
    let firstFailure: { err: unknown } | undefined;
    const source = parts[Symbol.asyncIterator]();
    const worker = async (): Promise<void> => {
      while (!firstFailure) {
        const next = await source.next();
        if (next.done) return;
        const part = next.value;
        const existing = found?.parts.get(part.number);
        let etag: string | undefined;
        if (existing && existing.size === part.size && existing.etag === await part.md5()) etag = existing.etag;
        if (etag === undefined) {
          let partSent = 0;
          etag = await sendPart(inner, id, part, (n) => { partSent += n; bytes += n; t.progress?.(bytes); });
          bytes += part.size - partSent;
        } else {
          bytes += part.size;
        }
        t.progress?.(bytes);
        done.push({ PartNumber: part.number, ETag: `"${etag}"` });
      }
    };
    const workers = Array.from({ length: Math.max(1, concurrency) }, () => worker().catch((err: unknown) => {
      firstFailure ??= { err };
      stop.abort();
    }));
    await Promise.all(workers);
    if (firstFailure) throw firstFailure.err;
    done.sort((a, b) => a.PartNumber - b.PartNumber);
    await t.client.send(new CompleteMultipartUploadCommand({
      Bucket: t.bucket, Key: t.key, UploadId: id, MultipartUpload: { Parts: done },
    }), { abortSignal: t.signal });
  } catch (raw) {
    const err = translateS3Error(raw, t.errors, 'upload');
    if (uploadId !== undefined && !isTransient(err) && !isAbort(err)) {
      await t.client.send(new AbortMultipartUploadCommand({ Bucket: t.bucket, Key: t.key, UploadId: uploadId })).catch(() => {
        // Best effort: the permanent error is what the caller needs; a leftover upload costs only storage.
      });
    }
    throw err;
  }
}

/** MD5 of a stream's bytes. */
export async function md5OfStream(stream: Readable): Promise<string> {
  const md5 = createHash('md5');
  await pipeline(stream, async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) md5.update(chunk);
  });
  return md5.digest('hex');
}

/** A Readable over `bytes` in 1 MiB slices (so progress moves while it is sent), without copying. */
export function sliceStream(bytes: Uint8Array): Readable {
  const slice = 1 << 20;
  return Readable.from((function* () {
    for (let at = 0; at < bytes.length; at += slice) yield Buffer.from(bytes.buffer, bytes.byteOffset + at, Math.min(slice, bytes.length - at));
  })(), { objectMode: false });
}

/** A part held in memory (a bytes source, or a stream read one part at a time). */
export function bufferPart(number: number, bytes: Uint8Array): PartPlan {
  return {
    number, size: bytes.length,
    md5: () => Promise.resolve(createHash('md5').update(bytes).digest('hex')),
    open: () => sliceStream(bytes),
  };
}

export async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  for (const item of items) yield await Promise.resolve(item);
}

/** Reads `stream` as buffers of exactly `size` bytes (the last may be shorter); one part in memory at a time. */
export async function* readParts(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let rest = chunk;
    while (length + rest.length >= size) {
      const take = size - length;
      pending.push(rest.subarray(0, take));
      yield Buffer.concat(pending);
      pending = [];
      length = 0;
      rest = rest.subarray(take);
    }
    if (rest.length > 0) {
      pending.push(rest);
      length += rest.length;
    }
  }
  if (length > 0) yield Buffer.concat(pending);
}
