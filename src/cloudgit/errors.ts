// cloudgit's errors (STYLE 6). A refused manifest or bundle is never used: the local repository is left as
// it was. "Cloud incomplete" is the one transient state: a bundle a manifest lists has not arrived yet.
import { FerryError } from '../util/index.js';
import type { FerryErrorOptions } from '../util/index.js';

/** A manifest or bundle failed authentication, is malformed, belongs to another remote, or was rolled back. */
export class CloudRefusedError extends FerryError {
  constructor(message: string, opts: FerryErrorOptions = {}) {
    super(message, {
      hint: 'nothing was applied; if the store was restored from a backup or the secret changed, see docs/cloudgit-format.md "Refusals"',
      ...opts,
    });
  }
}

/**
 * A manifest lists a bundle the store does not have (yet): a synced folder delivers files in any order, an
 * interrupted push left a manifest's bundles behind it. Transient until the grace period is over.
 */
export class CloudIncompleteError extends FerryError {
  constructor(message: string, opts: FerryErrorOptions = {}) {
    super(message, { hint: 'try again once the store has caught up (a synced folder may still be copying)', ...opts });
  }
}

/** The remote helper was asked something the protocol does not allow, or git hung up mid-batch. */
export class HelperProtocolError extends FerryError {}
