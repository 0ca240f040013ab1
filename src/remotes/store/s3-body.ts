// Request and response bodies at the S3 edge. Uploads: the SDK does not watch a request body for errors,
// so a body here aborts its request when its source fails, and hashes what it passes on for the ETag check.
// Downloads: a response body is cut to the range asked for and checked against its Content-Length.
import { createHash } from 'node:crypto';
import { pipeline as pipe, Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import { translateS3Error, truncatedBody } from './s3-errors.js';
import type { S3ErrorContext } from './s3-errors.js';

/**
 * A request body that hashes and counts what it passes on. A source that fails mid-way would leave the
 * request waiting for bytes, so a failure aborts the request through `signal`, and `failure` keeps the
 * source's own error for the caller to throw instead.
 */
export interface GuardedBody {
  readonly body: Readable;
  readonly signal: AbortSignal;
  /** The MD5 (hex) of the bytes passed on, once the body has ended. */
  readonly md5: () => string;
  readonly failure: () => unknown;
}

export function guardedBody(source: Readable, size: number, sent: (n: number) => void, outer: AbortSignal | undefined, shrank: () => Error): GuardedBody {
  const hash = createHash('md5');
  const ac = new AbortController();
  let count = 0;
  let failure: unknown;
  const body = pipe(source, new Transform({
    transform(chunk: Buffer, _enc, done) {
      count += chunk.length;
      sent(chunk.length);
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      done(count === size ? null : shrank());
    },
  }), (err) => {
    if (!err) return;
    failure = err;
    ac.abort(err);
  });
  return {
    body,
    signal: outer ? AbortSignal.any([outer, ac.signal]) : ac.signal,
    md5: () => hash.digest('hex'),
    failure: () => failure,
  };
}

/**
 * The response body as the caller asked for it: `skip` leading bytes dropped, at most `limit` passed on,
 * an end before Content-Length reported as a transient error, socket errors translated, the caller's
 * abort honoured, and the socket released when the caller stops reading.
 */
export function boundedBody(body: Readable, ctx: S3ErrorContext, o: { skip: number; limit?: number; expected?: number; signal?: AbortSignal }): Readable {
  let received = 0;
  let skip = Math.max(0, o.skip);
  let left = o.limit ?? Infinity;
  const out = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      let piece = chunk;
      if (skip > 0) {
        const n = Math.min(skip, piece.length);
        skip -= n;
        piece = piece.subarray(n);
      }
      if (piece.length > left) piece = piece.subarray(0, left);
      left -= piece.length;
      done(null, piece.length > 0 ? piece : undefined);
    },
    flush(done) {
      done(o.expected !== undefined && received < o.expected ? truncatedBody(ctx, received, o.expected) : null);
    },
  });
  body.on('error', (err) => out.destroy(translateS3Error(err, ctx, 'read')));
  // Node's HTTP client may end the body quietly when the connection drops; 'aborted' marks that case.
  body.on('aborted', () => out.destroy(truncatedBody(ctx, received, o.expected ?? received + 1)));
  const onAbort = () => out.destroy(o.signal?.reason instanceof Error ? o.signal.reason : new DOMException('aborted', 'AbortError'));
  o.signal?.addEventListener('abort', onAbort, { once: true });
  out.on('close', () => {
    o.signal?.removeEventListener('abort', onAbort);
    body.destroy();
  });
  return body.pipe(out);
}
