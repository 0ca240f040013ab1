// The repository lookups preferred content needs, and building PolicyItems from the location logs.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isNotFound } from '../../util/index.js';
import type { Annex } from '../annex.js';
import { locationLogPath, parseLocationLog, presentUuids } from '../branch/index.js';
import { parseKey } from '../keys/index.js';
import type { NumCopies } from '../queries/numcopies.js';
import { currentMetaData } from './metadata.js';
import type { PolicyProbes } from './policy-facts.js';
import type { PolicyItem } from './preferred-content.js';

export function annexProbes(annex: Annex, copies: NumCopies): PolicyProbes {
  let unused: Promise<Set<string>> | undefined;
  return {
    copies,
    hasContentHere: (key) => annex.objects.has(key),
    // hashdirlower(key)/KEYFILE.log.met (annex-format §3.2)
    metadata: async (key) => currentMetaData(await annex.branch.get(`${locationLogPath(key)}.met`)),
    isUnused: async (key) => (await (unused ??= readUnusedLog(join(annex.repo.layout.annexDir, 'unused')))).has(key),
    close: () => copies.close(),
  };
}

/**
 * The keys of git-annex's last `unused` report, `.git/annex/unused`: lines `N KEY TIMESTAMP`. Like
 * git-annex 10.20230126 (Logs/Unused.hs), a line must have all three parts; missing file: no keys.
 */
export async function readUnusedLog(path: string): Promise<Set<string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isNotFound(err)) return new Set();
    throw err;
  }
  const keys = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^(\S+) (.+) (\S+)$/.exec(line);
    if (m && /^\d+$/.test(m[1]!) && parseKey(m[2]!)) keys.add(m[2]!);
  }
  return keys;
}

/** A PolicyItem for `key`, its size taken from the key. */
export function policyItem(key: string, path: string | undefined, locations: Iterable<string>): PolicyItem {
  const size = parseKey(key)?.size;
  return { key, locations: new Set(locations), ...(path === undefined ? {} : { path }), ...(size === undefined ? {} : { size }) };
}

/** PolicyItems for many files (or keys), reading their location logs in one pass. */
export async function policyItems(annex: Annex, entries: readonly { key: string; path?: string }[]): Promise<PolicyItem[]> {
  const logs = await annex.branch.getMany([...new Set(entries.map((e) => locationLogPath(e.key)))]);
  return entries.map((e) => policyItem(e.key, e.path, presentUuids(parseLocationLog(logs.get(locationLogPath(e.key)) ?? ''))));
}
