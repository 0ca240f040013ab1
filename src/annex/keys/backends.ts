// The backends ferry can make and check keys with, as data. Every hash backend here was checked against
// `git annex calckey --backend=NAME` of 10.20230126; git-annex's others (SKEIN*, BLAKE2B160..384, BLAKE2SP*,
// ...) have no node:crypto algorithm. Keys of any backend still parse (key.ts); they just can't be verified.
import { UnknownBackendError, UnusableBackendError } from './errors.js';
import { selectExtension } from './extension.js';
import type { Key } from './key.js';
import { wormName } from './worm.js';

export const DEFAULT_BACKEND = 'SHA256E';

export interface Backend {
  readonly name: string;
  /** node:crypto algorithm of the digest that forms the key name; absent for WORM and URL. */
  readonly hash?: string;
  /** The key name ends in the file's extension (§1.2). */
  readonly withExtension: boolean;
  /** The same content always gets the same key; WORM and URL keys are not, and are never chunked (§1.3, §5.3). */
  readonly stable: boolean;
}

function hashBackends(name: string, hash: string): Backend[] {
  return [
    { name: `${name}E`, hash, withExtension: true, stable: true },
    { name, hash, withExtension: false, stable: true },
  ];
}

// SHA256E first: it is the default, and the hint lists backends in this order.
const BACKENDS: readonly Backend[] = [
  ...hashBackends('SHA256', 'sha256'),
  ...hashBackends('SHA512', 'sha512'),
  ...hashBackends('SHA384', 'sha384'),
  ...hashBackends('SHA224', 'sha224'),
  ...hashBackends('SHA3_256', 'sha3-256'),
  ...hashBackends('SHA3_512', 'sha3-512'),
  ...hashBackends('SHA3_384', 'sha3-384'),
  ...hashBackends('SHA3_224', 'sha3-224'),
  ...hashBackends('BLAKE2B512', 'blake2b512'),
  ...hashBackends('BLAKE2S256', 'blake2s256'),
  ...hashBackends('SHA1', 'sha1'),
  ...hashBackends('MD5', 'md5'),
  { name: 'WORM', withExtension: false, stable: false },
  { name: 'URL', withExtension: false, stable: false },
];
const BY_NAME = new Map(BACKENDS.map((b) => [b.name, b]));
/** Backends that can make a key from a file (all but URL). */
const FILE_BACKENDS = BACKENDS.filter((b) => b.hash !== undefined || b.name === 'WORM').map((b) => b.name);

/** All backends ferry knows, the default first. */
export function knownBackends(): readonly Backend[] {
  return BACKENDS;
}

/** The backend called `name`; UnknownBackendError (listing the usable ones) when ferry has none by that name. */
export function backendByName(name: string): Backend {
  const b = BY_NAME.get(name);
  if (b === undefined) throw new UnknownBackendError(name, FILE_BACKENDS);
  return b;
}

export function isKnownBackend(name: string): boolean {
  return BY_NAME.has(name);
}

// §1.1: git-annex refuses to parse an ...E key whose extension exceeds 64 bytes. 10.20230126 nevertheless
// generates one when annex.maxextensionlength is raised past 31; ferry leaves the extension off instead.
const MAX_EXTENSION_BYTES = 64;

/** The key of content with digest `hexDigest` and `size` bytes, added as `relPath` (its base name gives the extension). */
export function keyFromDigest(
  backend: Backend, hexDigest: string, size: number, relPath: string, maxExtensionLength?: number,
): Key {
  if (backend.hash === undefined) throw new UnusableBackendError(backend.name, FILE_BACKENDS);
  let ext = backend.withExtension ? selectExtension(relPath, maxExtensionLength) : '';
  if (Buffer.byteLength(ext) > MAX_EXTENSION_BYTES) ext = '';
  return { backend: backend.name, size, name: hexDigest + ext };
}

/** The WORM key of a file (§1.3): size, mtime in whole seconds, and the sanitized path from the repository top. */
export function wormKey(relPath: string, size: number, mtimeSeconds: number): Key {
  return { backend: 'WORM', size, mtime: mtimeSeconds, name: wormName(relPath) };
}

/** The hex digest in a hash key's name (up to its first '.', as fsck compares, §1.2); undefined for other keys. */
export function digestOfKey(k: Key): string | undefined {
  if (BY_NAME.get(k.backend)?.hash === undefined) return undefined;
  const dot = k.name.indexOf('.');
  return dot < 0 ? k.name : k.name.slice(0, dot);
}

/** The backends that can make a key from a file, for messages. */
export function fileBackendNames(): readonly string[] {
  return FILE_BACKENDS;
}
