// Keys and names of cloudgit objects (docs/cloudgit-format.md "Keys" and "Names"). Every key comes from the
// repository secret through HKDF with its own label; every sealed object binds its role and the special
// remote's uuid into the associated data, so an object moved to another name, store or prefix under the same
// secret does not open. Object names are HMACs and hashes: they show neither branches nor peers.
import { createHmac } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { deriveKey } from '../crypto/index.js';

export const FORMAT_VERSION = 1;
const AREA = 'ferry-git/v1/';

export type Role = 'manifest' | 'bundle';

export interface CloudKeys {
  readonly manifest: Buffer;
  readonly bundle: Buffer;
  readonly names: Buffer;
}

export function cloudKeys(secret: Uint8Array): CloudKeys {
  return {
    manifest: deriveKey(secret, 'ferry cloudgit v1 manifest'),
    bundle: deriveKey(secret, 'ferry cloudgit v1 bundle'),
    names: deriveKey(secret, 'ferry cloudgit v1 names'),
  };
}

/** Associated data of a sealed object: what it is and whose remote it belongs to. */
export function sealContext(role: Role, uuid: string): Buffer {
  return Buffer.from(`ferry cloudgit v${FORMAT_VERSION}\0${role}\0${uuid}`, 'utf8');
}

/** Where cloudgit's objects live in a store, after the remote's own prefix (S3 fileprefix). */
export class CloudNames {
  /** The uuid of the special remote, in clear: how a self-contained URL finds which remote it is. */
  readonly marker: string;
  readonly manifests: string;
  readonly bundles: string;
  readonly #names: Buffer;

  constructor(prefix: string, keys: CloudKeys) {
    this.marker = markerName(prefix);
    this.manifests = `${prefix}${AREA}m/`;
    this.bundles = `${prefix}${AREA}b/`;
    this.#names = keys.names;
  }

  /** A peer's manifest: 128 bits of HMAC of its peer id, so the store cannot link it to notices. */
  manifest(peer: string): string {
    return this.manifests + createHmac('sha256', this.#names).update(peer).digest('hex').slice(0, 32);
  }

  /** A bundle, named by the hash of its sealed bytes (`id`). */
  bundle(id: string): string {
    return this.bundles + id;
  }
}

export function markerName(prefix: string): string {
  return `${prefix}${AREA}uuid`;
}

/** A bundle's id: 128 bits of SHA-256 of its sealed bytes (a store that swaps two bundles is caught). */
export function bundleId(hash: Hash): string {
  return hash.digest('hex').slice(0, 32);
}
