// Hash directories (annex-format.md §1.5): two hashes of the serialized key with its chunk fields removed,
// so every chunk of a key lands beside the key (§10 pitfall 1). The unescaped key is hashed, not its keyFile
// form (pitfall 12).
import { createHash } from 'node:crypto';
import { formatKey, nonChunkKey, parseKeyOrThrow } from './key.js';

function md5OfObjectKey(keyText: string): Buffer {
  const k = parseKeyOrThrow(keyText);
  const whole = k.chunkSize === undefined && k.chunkNum === undefined ? keyText : formatKey(nonChunkKey(k));
  return createHash('md5').update(whole, 'utf8').digest();
}

/** hashdirlower ("new" layout: bare repos, the git-annex branch, special remotes), e.g. `e7d/d01`, no trailing slash. */
export function hashDirLower(keyText: string): string {
  const h = md5OfObjectKey(keyText).toString('hex');
  return `${h.slice(0, 3)}/${h.slice(3, 6)}`;
}

const MIXED_ALPHABET = '0123456789zqjxkmvwgpfZQJXKMVWGPF';

/** hashdirmixed ("old" layout: `.git/annex/objects` of non-bare repos), e.g. `J7/0G`, no trailing slash. */
export function hashDirMixed(keyText: string): string {
  // First 32-bit word little-endian, four characters from 5-bit groups at 6-bit steps, then each pair
  // swapped (§10 pitfall 3).
  const w = md5OfObjectKey(keyText).readUInt32LE(0);
  const c = (i: number): string => MIXED_ALPHABET[(w >>> (6 * i)) & 31] ?? '';
  return `${c(1)}${c(0)}/${c(3)}${c(2)}`;
}
