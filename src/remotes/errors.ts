import { VerificationError } from '../annex/index.js';
import { IntegrityError, MalformedMessageError, WrongPassphraseError } from '../crypto/index.js';
import { FerryError } from '../util/index.js';

export class ContentNotThereError extends FerryError {
  constructor(remote: string, key: string) {
    super(`${remote} does not have the content of ${key}`, { data: { remote, key } });
  }
}

export class RemoteUnavailableError extends FerryError {
  constructor(remote: string, reason: string) {
    super(`remote ${remote} is not available: ${reason}`, { data: { remote, reason } });
  }
}

/** A special remote holds some of a key's chunks but not this one. */
export class MissingChunkError extends FerryError {
  constructor(remote: string, key: string, piece: string) {
    super(`${remote} has only part of ${key}: ${piece} is missing`, {
      data: { remote, key, piece },
      hint: `run 'ferry fsck --from ${remote}' to correct what the location log says about it`,
    });
  }
}

/**
 * Reading a key's bytes from a remote failed part-way. `damaged`: what arrived failed an integrity check (an
 * encrypted object's MDC, a malformed message), so bytes already received from it cannot be trusted and the
 * partial file must go; otherwise (a transient failure past the store's retries) they may be kept.
 */
export class RemoteReadError extends FerryError {
  constructor(remote: string, key: string, piece: string, readonly damaged: boolean, cause: FerryError) {
    super(`${remote}: reading ${piece === key ? key : `${piece} (of ${key})`}: ${cause.message}`, {
      data: { remote, key, piece, damaged }, cause, hint: cause.hint,
    });
  }
}

/**
 * Whether a failed read was of damaged bytes: an encrypted object's integrity check failed, its packets are
 * malformed, or its session key check failed (with the right cipher, HMAC names only find objects it
 * encrypted, so that too means a damaged read).
 */
export function isDamagedRead(err: unknown): boolean {
  return err instanceof IntegrityError || err instanceof MalformedMessageError || err instanceof WrongPassphraseError;
}

/**
 * Whether fetching a key again from the same remote may succeed: its bytes failed verification (the key's
 * hash, or an encrypted object's integrity check). A transient failure has had the store's own retries
 * already; missing content, a wrong cipher or denied access will not change by asking again.
 */
export function worthRetrying(err: unknown): boolean {
  return err instanceof VerificationError || (err instanceof RemoteReadError && err.damaged);
}
