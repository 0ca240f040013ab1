// Location logs (annex-format.md §3.2): per key, which repositories have its content.
import { hashDirLower, keyFile } from '../keys/index.js';
import {
  ABSENT, PRESENT, currentChunks, currentClock, currentLocations, parseChunkLog, parseLocationLog, presentUuids, renderChunkLog,
  renderLocationLog, setChunkCount, setLocation,
} from './logs/index.js';

/** hashdirlower(key)/KEYFILE.log: where the location log of `key` lives in the branch. */
export function locationLogPath(key: string): string {
  return `${hashDirLower(key)}/${keyFile(key)}.log`;
}

/**
 * A branch change recording that `uuid` has (or no longer has) the content; no change when the log says
 * so already (git-annex does not rewrite an unchanged status either).
 */
export function presenceChange(uuid: string, present: boolean): (old: string) => string {
  const status = present ? PRESENT : ABSENT;
  return (old) => {
    const log = parseLocationLog(old);
    if (currentLocations(log).get(uuid)?.status === status) return old;
    return renderLocationLog(setLocation(log, uuid, status, currentClock()));
  };
}

/** The repositories a location log says have the content now. */
export function presentIn(content: string): string[] {
  return presentUuids(parseLocationLog(content));
}

/** hashdirlower(key)/KEYFILE.log.cnk: where the chunk log of `key` lives in the branch (§5.3). */
export function chunkLogPath(key: string): string {
  return `${hashDirLower(key)}/${keyFile(key)}.log.cnk`;
}

/** A branch change recording that remote `uuid` holds `count` chunks of `chunkSize` of the key (0: removed). */
export function chunkCountChange(uuid: string, chunkSize: number, count: number): (old: string) => string {
  return (old) => renderChunkLog(setChunkCount(parseChunkLog(old), uuid, chunkSize, count, currentClock()));
}

/** The chunkings a chunk log says remote `uuid` holds now: chunk size and count, removed ones left out. */
export function loggedChunks(content: string, uuid: string): { chunkSize: number; count: number }[] {
  return currentChunks(parseChunkLog(content)).filter((e) => e.uuid === uuid && e.count > 0)
    .map(({ chunkSize, count }) => ({ chunkSize, count }));
}
