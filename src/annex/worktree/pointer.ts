// How an annexed file appears in git: a locked file is a symlink into .git/annex/objects (annex-format.md
// §2.3), an unlocked file is a pointer file "/annex/objects/KEYFILE\n" (§2.4).
import { fileKey, hashDirMixed, keyFile, parseKey } from '../keys/index.js';

export const MAX_POINTER_SIZE = 32768;
const OBJECTS_MARK = '/annex/objects/';

export function formatPointer(key: string): string {
  return `${OBJECTS_MARK}${keyFile(key)}\n`;
}

/**
 * The key a pointer file names, or undefined if `content` is not a pointer: the first line must contain
 * /annex/objects/ and end in LF, CRLF or EOF; any further lines must contain /annex/ and end in LF;
 * at most 32768 bytes (§2.4).
 */
export function parsePointer(content: Uint8Array | string): string | undefined {
  if (content.length > MAX_POINTER_SIZE) return undefined;
  const text = typeof content === 'string' ? content : Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('utf8');
  const nl = text.indexOf('\n');
  const first = (nl < 0 ? text : text.slice(0, nl)).replace(/\r$/, '');
  if (!first.includes(OBJECTS_MARK)) return undefined;
  if (nl >= 0) {
    const rest = text.slice(nl + 1);
    if (rest !== '') {
      if (!rest.endsWith('\n')) return undefined;
      for (const line of rest.slice(0, -1).split('\n')) if (!line.includes('/annex/')) return undefined;
    }
  }
  return keyOfObjectPath(first);
}

/** The symlink target of a locked file at `repoPath` (relative, through .git/annex/objects, hashdirmixed). */
export function symlinkTarget(repoPath: string, key: string): string {
  const depth = repoPath.split('/').length - 1;
  const up = '../'.repeat(depth);
  return `${up}.git/annex/objects/${hashDirMixed(key)}/${keyFile(key)}/${keyFile(key)}`;
}

/** The key of a symlink target that points into an annex, or undefined (§2.3). */
export function keyOfSymlinkTarget(target: string): string | undefined {
  if (!target.includes(OBJECTS_MARK)) return undefined;
  return keyOfObjectPath(target);
}

function keyOfObjectPath(path: string): string | undefined {
  const last = path.slice(path.lastIndexOf('/') + 1);
  if (last === '') return undefined;
  const key = fileKey(last);
  return parseKey(key) ? key : undefined;
}
