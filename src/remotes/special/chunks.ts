// Chunking as git-annex does it (annex-format §5.3): a key is stored as chunks C1..Cn of the configured size
// (the last one short, an empty file as one empty chunk), each chunk key carrying the configured size; the
// chunk log records (remote, size) → count once all are stored. Only keys of hashing backends are chunked.
import { backendByName, chunkKey, formatKey, parseKey } from '../../annex/index.js';
import type { Key } from '../../annex/index.js';

/** How a key is laid out in a remote: whole (chunkSize undefined), or `count` chunks of `chunkSize`. */
export interface Chunking {
  readonly chunkSize: number | undefined;
  readonly count: number;
}

export interface Piece {
  /** The key of this piece: the key itself, or one chunk key. */
  readonly key: string;
  /** Where its bytes start in the content, and how many. */
  readonly offset: number;
  readonly length: number;
}

export const WHOLE: Chunking = { chunkSize: undefined, count: 1 };

/** Whether git-annex would chunk this key: a hashing backend (stable content), and a known size. */
export function chunkable(key: Key): boolean {
  if (key.size === undefined) return false;
  try {
    return backendByName(key.backend).hash !== undefined;
  } catch {
    return false; // an unknown backend: stored whole, as git-annex stores keys it cannot vouch for
  }
}

/** The chunking a new store of `key` (of `size` bytes) uses with the remote's `chunk=` size. */
export function chunkingFor(key: Key, size: number, chunkSize: number | undefined): Chunking {
  if (chunkSize === undefined || chunkSize <= 0 || !chunkable(key)) return WHOLE;
  return { chunkSize, count: Math.max(1, Math.ceil(size / chunkSize)) };
}

/** The pieces of content of `size` bytes under `chunking`, in order. */
export function pieces(keyText: string, size: number, chunking: Chunking): Piece[] {
  const { chunkSize } = chunking;
  if (chunkSize === undefined) return [{ key: keyText, offset: 0, length: size }];
  const key = parseKey(keyText)!;
  const out: Piece[] = [];
  for (let n = 1; n <= chunking.count; n++) {
    const offset = (n - 1) * chunkSize;
    out.push({ key: formatKey(chunkKey(key, chunkSize, n)), offset, length: Math.max(0, Math.min(chunkSize, size - offset)) });
  }
  return out;
}

/**
 * The chunkings to try when looking for `key` in a remote, in git-annex's order (§5.3): what the chunk log
 * records for the remote, with the whole key first when the remote is now configured without chunks and
 * last otherwise, then the chunking the current `chunk=` would give, if not listed yet.
 */
export function candidateChunkings(key: Key, logged: readonly Chunking[], configured: number | undefined): Chunking[] {
  const chunked = configured !== undefined && configured > 0;
  const out: Chunking[] = chunked ? [...logged, WHOLE] : [WHOLE, ...logged];
  if (chunked && key.size !== undefined && chunkable(key)) {
    const speculative = chunkingFor(key, key.size, configured);
    if (!out.some((c) => c.chunkSize === speculative.chunkSize && c.count === speculative.count)) out.push(speculative);
  }
  return out;
}
