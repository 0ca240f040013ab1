// The S3 edge of error translation (STYLE 6): SDK, HTTP and socket errors become the Store's three
// classes here and nowhere else. The SDK error is never kept as `cause` (its $response carries request
// headers); a summary of code, status and request id is kept instead, so nothing secret can reach a log.
import { StoreNotFoundError, StorePermanentError, StoreTransientError } from './store.js';

/** What S3Store tells the translator about where the error happened. */
export interface S3ErrorContext {
  readonly store: string;
  readonly bucket: string;
  /** The object name (without fileprefix), when the request was about one. */
  readonly name?: string;
  /** For the credential hint: "remote s3test", or undefined. */
  readonly remote?: string;
}

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

const notFoundCodes = new Set(['NoSuchKey', 'NotFound', 'NoSuchUpload']);
const credentialCodes = new Set([
  'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired',
  'CredentialsProviderError', 'AuthorizationHeaderMalformed', 'InvalidClientTokenId',
]);
const transientCodes = new Set([
  'SlowDown', 'Throttling', 'ThrottlingException', 'RequestTimeout', 'InternalError',
  'ServiceUnavailable', 'TimeoutError', 'RequestTimeoutException', 'IncompleteBody', 'OperationAborted',
]);
const socketCodes = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN',
  'EAI_AGAIN', 'ENOTFOUND', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET',
]);

function shape(err: unknown): SdkErrorShape {
  return typeof err === 'object' && err !== null ? (err) : {};
}

/** The error's identifying code: the S3 error code, the Node errno, or the SDK's error name. */
function codeOf(err: unknown): string {
  const e = shape(err);
  if (typeof e.code === 'string' && e.code !== '') return e.code;
  // HEAD answers carry no body, so the SDK cannot name the S3 error: the status says it.
  if (e.name === 'Unknown' && e.$metadata?.httpStatusCode) return `HTTP ${e.$metadata.httpStatusCode}`;
  return typeof e.name === 'string' ? e.name : 'Error';
}

/** A description of the SDK error safe to keep and print: code, HTTP status and request id only. */
function summary(err: unknown): Error {
  const e = shape(err);
  const status = e.$metadata?.httpStatusCode;
  const requestId = e.$metadata?.requestId;
  return new Error([codeOf(err), status && !codeOf(err).startsWith('HTTP') ? `HTTP ${status}` : '', requestId ? `request ${requestId}` : ''].filter(Boolean).join(', '));
}

/** Whether an error came from the caller's own AbortSignal (passed through untouched). */
export function isAbort(err: unknown): boolean {
  const name = shape(err).name;
  return name === 'AbortError';
}

/** Translates anything an S3 request or response body threw into a Store error (AbortError passes through). */
export function translateS3Error(err: unknown, ctx: S3ErrorContext, doing: string): Error {
  if (err instanceof StoreNotFoundError || err instanceof StoreTransientError || err instanceof StorePermanentError) return err;
  if (isAbort(err)) return err as Error;
  const e = shape(err);
  const code = codeOf(err);
  const status = e.$metadata?.httpStatusCode;
  const cause = summary(err);
  const opts = { name: ctx.name, cause };
  const what = ctx.name === undefined ? doing : `${doing} ${ctx.name}`;

  if (code === 'NoSuchBucket') {
    return new StorePermanentError(ctx.store, `bucket ${ctx.bucket} does not exist (${what})`, {
      ...opts, hint: `check bucket= of ${ctx.remote ?? 'the remote'}, or run initremote/enableremote to create it`,
    });
  }
  if (notFoundCodes.has(code) || status === 404) return new StoreNotFoundError(ctx.store, ctx.name ?? ctx.bucket, cause);
  if (credentialCodes.has(code) || status === 403 || status === 401) {
    const expired = code === 'ExpiredToken' || code === 'TokenRefreshRequired';
    return new StorePermanentError(ctx.store, `${expired ? 'credentials expired' : 'access denied'} (${code}) while trying to ${what}`, {
      ...opts,
      hint: `check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, ~/.aws, or the cached credentials of ${ctx.remote ?? 'this remote'}`,
    });
  }
  if (code === 'RequestTimeTooSkewed') {
    return new StorePermanentError(ctx.store, `the server says this machine's clock is wrong (${what})`, { ...opts, hint: 'set the system clock (S3 signatures expire after 15 minutes)' });
  }
  if (status === 416 || code === 'InvalidRange') return new StorePermanentError(ctx.store, `invalid range while trying to ${what}`, opts);
  const retryable = e.$retryable !== undefined && e.$retryable !== null;
  if (transientCodes.has(code) || socketCodes.has(code) || retryable || (status !== undefined && (status >= 500 || status === 429))) {
    return new StoreTransientError(ctx.store, `${code}${status && !code.startsWith('HTTP') ? ` (HTTP ${status})` : ''} while trying to ${what}`, opts);
  }
  // A socket-level failure the SDK wraps without an errno ("socket hang up").
  if (status === undefined && /socket hang up|socket|network|timed? ?out/i.test(e.message ?? '')) {
    return new StoreTransientError(ctx.store, `connection failed (${code}) while trying to ${what}`, opts);
  }
  // Local errors (a source file that vanished) keep their own message; server messages are left out.
  const local = e.$metadata === undefined && typeof e.message === 'string' ? `: ${e.message}` : '';
  return new StorePermanentError(ctx.store, `${code}${status && !code.startsWith('HTTP') ? ` (HTTP ${status})` : ''} while trying to ${what}${local}`, opts);
}

/** A body that ended before its Content-Length: worth retrying from where it stopped. */
export function truncatedBody(ctx: S3ErrorContext, got: number, expected: number): StoreTransientError {
  return new StoreTransientError(ctx.store, `response body for ${ctx.name ?? '?'} ended after ${got} of ${expected} bytes`, { name: ctx.name });
}
