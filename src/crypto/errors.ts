// The crypto layer's errors (STYLE 6). None of them ever carries a passphrase, a key or cipher text: `data`
// names only algorithms, packet kinds and offsets. Callers add the remote and key they were working on.
import { FerryError } from '../util/index.js';
import type { FerryErrorOptions } from '../util/index.js';

/** remote.log's `cipher=` (or a `mac=`) is not what git-annex writes (annex-format.md §6.1). */
export class CipherFormatError extends FerryError {
  constructor(message: string, opts: FerryErrorOptions = {}) {
    super(message, {
      hint: "the remote's cipher in the git-annex branch is damaged; fetch the git-annex branch again from a good copy",
      ...opts,
    });
  }
}

/**
 * The passphrase does not open this message: the quick check of RFC 4880 §5.7 (repeated prefix bytes) failed,
 * or a session key decrypted to nonsense. Usually a wrong cipher for the remote, or an object of another remote.
 */
export class WrongPassphraseError extends FerryError {
  constructor(message = 'the encrypted object does not open with this remote\'s cipher', opts: FerryErrorOptions = {}) {
    super(message, { hint: 'check that the remote.log cipher belongs to this remote; the object may be from another one', ...opts });
  }
}

/**
 * The modification detection code (RFC 4880 §5.13–5.14) is missing or does not match: the object was altered
 * or truncated in storage. Any plaintext already passed on must be discarded by the caller.
 */
export class IntegrityError extends FerryError {
  constructor(message: string, opts: FerryErrorOptions = {}) {
    super(message, { hint: 'the stored object is damaged; get the content from another copy', ...opts });
  }
}

/** A well-formed OpenPGP packet or algorithm ferry does not read (BZIP2, AEAD/OCB, SKESK v5, public-key). */
export class UnsupportedPacketError extends FerryError {
  constructor(message: string, opts: FerryErrorOptions = {}) {
    super(message, { hint: 'ferry reads what git-annex writes with gpg --symmetric; decrypt this object with gpg instead', ...opts });
  }
}

/** Bytes that are not an OpenPGP message as RFC 4880 §4 frames it, or one that ends early. */
export class MalformedMessageError extends FerryError {
  constructor(message: string, opts: FerryErrorOptions = {}) {
    super(message, { hint: 'the stored object is damaged or not a git-annex encrypted object', ...opts });
  }
}

/**
 * A ferry sealed object (crypto/seal.ts) does not open: changed or truncated bytes, another format, the wrong
 * secret, or an object sealed for another role or remote. Nothing of it may be used.
 */
export class SealError extends FerryError {
  constructor(message: string, opts: FerryErrorOptions = {}) {
    super(message, { hint: 'the stored object was altered, belongs to another remote, or the secret is wrong', ...opts });
  }
}
