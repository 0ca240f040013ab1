// `fsck --from REMOTE`, as git-annex does it: for each key, whether the remote has its content now
// (checkPresent, for every chunk), the location log corrected where it says otherwise, and unless --fast the
// content fetched into the partial file and verified against its key, then removed. Content that fails
// verification is reported; the log then says the remote lacks it, so nothing counts on that copy.
import { rm } from 'node:fs/promises';
import type { Annex, FsckItem, FsckResult } from '../../annex/index.js';
import { locationLogPath, presenceChange, presentIn, receiveToTmp } from '../../annex/index.js';
import type { Remote } from '../../remotes/index.js';
import { FerryError, errorMessage, mapPool } from '../../util/index.js';
import { transferLock } from '../../remotes/index.js';

export interface RemoteFsckOptions {
  readonly fast?: boolean;
  readonly jobs?: number;
  readonly onResult?: (r: FsckResult) => void;
}

export async function fsckRemote(annex: Annex, remote: Remote, items: readonly FsckItem[], opts: RemoteFsckOptions = {}): Promise<FsckResult[]> {
  await annex.branch.update();
  const logs = await annex.branch.getMany([...new Set(items.map((i) => locationLogPath(i.key)))]);
  const results = await mapPool(items, opts.jobs ?? 4, async (item): Promise<FsckResult> => {
    const notes = [`checking ${remote.name}...`];
    const problems: string[] = [];
    const logged = presentIn(logs.get(locationLogPath(item.key)) ?? '').includes(remote.uuid);
    let present: boolean;
    try {
      present = await remote.checkPresent(item.key);
    } catch (err) {
      return { ...item, ok: false, notes, problems: [`cannot check ${remote.name}: ${errorMessage(err)}`] };
    }
    if (present && !opts.fast) {
      notes.push('checksum...');
      const problem = await verifyThere(annex, remote, item.key);
      if (problem !== undefined) {
        problems.push(problem);
        present = false; // a damaged copy must not count
      }
    }
    if (present !== logged) {
      if (!present && logged && problems.length === 0) problems.push(`** Based on the location log, ${item.path ?? item.key}\n** was expected to be present, but its content is missing.`);
      notes.push('fixing location log');
      await annex.branch.change(new Map([[locationLogPath(item.key), presenceChange(remote.uuid, present)]]));
    }
    return { ...item, ok: problems.length === 0, notes, problems };
  });
  await annex.branch.commit('update');
  for (const r of results) opts.onResult?.(r);
  return results;
}

/** Fetches the remote's copy into the partial file, verified on arrival, then removes it; the problem, if any. */
async function verifyThere(annex: Annex, remote: Remote, key: string): Promise<string | undefined> {
  const lock = await transferLock(annex.repo.layout, 'download', remote.uuid, key);
  try {
    const tmp = await receiveToTmp(annex.repo.layout, key, remote.name, (sink) => remote.retrieve(key, sink));
    await rm(tmp, { force: true });
    return undefined;
  } catch (err) {
    if (!(err instanceof FerryError)) throw err;
    return `${remote.name}: ${errorMessage(err)}`;
  } finally {
    lock?.release();
  }
}
