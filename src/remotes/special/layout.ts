// Where a special remote keeps the object of a key in its Store, per type, exactly as git-annex names it, so
// either tool finds the other's objects. The key here is what is stored: the plain key, a chunk key, or the
// encrypted name of either (`GPGHMACSHA1--…`, which is itself a key without a size).
import { hashDirLower, hashDirMixed, keyFile } from '../../annex/index.js';

/** The names to look under for a stored key: the first is where a new object goes; the rest are older layouts. */
export type ObjectLayout = (storedKey: string) => readonly string[];

/**
 * Directory remote (§5.2): `hashdirlower/KEYFILE/KEYFILE`; git-annex also reads the hashdirmixed location
 * of old remotes. Chunks of a plain key share the whole key's hash dirs (hashDirLower strips chunk fields,
 * §10 pitfall 1); an encrypted chunk's name has none, so it hashes on its own.
 */
export const directoryLayout: ObjectLayout = (k) => {
  const f = keyFile(k);
  return [`${hashDirLower(k)}/${f}/${f}`, `${hashDirMixed(k)}/${f}/${f}`];
};

/** S3 (§7): the serialized key itself, no hash dirs and no keyFile escaping; the store adds `fileprefix`. */
export const s3Layout: ObjectLayout = (k) => [k];
