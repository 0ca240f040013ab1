// `ferry fsck`: for each annexed file (or key), that the content here matches its key, that the location
// log tells the truth about this repository (and repairing it when not), and that enough copies exist.
// Bad content is moved to .git/annex/bad/ after the log says it is gone, as git-annex does.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { mapPool } from '../../util/index.js';
import type { Annex } from '../annex.js';
import { currentLocations, locationLogPath, parseLocationLog, presenceChange } from '../branch/index.js';
import { keyFile } from '../keys/index.js';
import { NumCopies } from './numcopies.js';
import { Repositories } from './repositories.js';
import { warnUnparsed } from './whereis.js';

export interface FsckItem {
  readonly key: string;
  /** The file, when checking files (undefined with --all). */
  readonly path?: string;
}

export interface FsckResult extends FsckItem {
  readonly ok: boolean;
  /** What was checked or repaired ("checksum...", "fixing location log"). */
  readonly notes: readonly string[];
  /** Problems, each a line for the user (git-annex's wording). */
  readonly problems: readonly string[];
}

export interface FsckOptions {
  /** Skip hashing content (only presence and the logs). */
  readonly fast?: boolean;
  readonly numcopies?: number;
  readonly jobs?: number;
  /** Called once per item, in the order of `items` (checks run concurrently, reports do not). */
  readonly onResult?: (r: FsckResult) => void;
}

export async function fsck(annex: Annex, items: readonly FsckItem[], opts: FsckOptions = {}): Promise<FsckResult[]> {
  await annex.branch.update();
  const repos = await Repositories.load(annex);
  const numcopies = await NumCopies.load(annex, opts.numcopies);
  const verified = new Map<string, Promise<boolean>>();
  try {
    // Results are reported in item order, as git-annex prints them, whatever order the checks finish in.
    const done: (FsckResult | undefined)[] = [];
    let reported = 0;
    const results = await mapPool(items, opts.jobs ?? 4, async (item, i) => {
      const r = await checkOne(annex, repos, numcopies, item, verified, opts.fast === true);
      done[i] = r;
      while (done[reported] !== undefined) {
        opts.onResult?.(done[reported]!);
        done[reported++] = undefined;
      }
      return r;
    });
    await annex.branch.commit('update');
    return results;
  } finally {
    numcopies.close();
  }
}

/** Whether the object matches its key; bad content is moved to .git/annex/bad/ once the log says it is gone. */
async function checkContent(annex: Annex, key: string): Promise<boolean> {
  if (await annex.objects.verify(key)) return true;
  // The log must stop claiming the content before the content goes (durability order).
  await annex.branch.change(new Map([[locationLogPath(key), presenceChange(annex.uuid, false)]]));
  await annex.branch.commit('update');
  const bad = join(annex.repo.layout.annexDir, 'bad');
  await mkdir(bad, { recursive: true });
  await annex.objects.moveOut(key, join(bad, keyFile(key)));
  return false;
}

async function checkOne(annex: Annex, repos: Repositories, numcopies: NumCopies, item: FsckItem,
  verified: Map<string, Promise<boolean>>, fast: boolean): Promise<FsckResult> {
  const { key, path } = item;
  const notes: string[] = [];
  const problems: string[] = [];
  const name = path ?? key;
  const logPath = locationLogPath(key);
  const object = await annex.objects.find(key);
  let here = object !== undefined;
  if (object && !fast) {
    notes.push('checksum...');
    // Once per key, however many files share it: the check, and moving bad content out.
    let check = verified.get(key);
    if (!check) {
      check = checkContent(annex, key);
      verified.set(key, check);
    }
    if (!(await check)) {
      problems.push(`${name}: Bad file content; moved to .git/annex/bad/${keyFile(key)}`);
      here = false;
    }
  }
  const log = parseLocationLog(await annex.branch.get(logPath));
  warnUnparsed(logPath, log.unparsed);
  const claimed = currentLocations(log).get(annex.uuid)?.status === '1';
  if (here !== claimed) {
    if (here) notes.unshift('fixing location log'); // git-annex checks the log before it checksums
    else problems.push(`** Based on the location log, ${name} was expected to be present, but its content is missing.`);
    await annex.branch.change(new Map([[logPath, presenceChange(annex.uuid, here)]]));
  }
  const present = new Set([...currentLocations(parseLocationLog(await annex.branch.get(logPath))).values()]
    .filter((e) => e.status === '1').map((e) => e.uuid));
  const counted = [...present].filter((u) => {
    const t = repos.get(u).trust;
    return t === 'trusted' || t === 'semitrusted';
  }).length;
  const needed = await numcopies.forFile(path);
  if (counted === 0) problems.push(`** No known copies exist of ${name}`);
  else if (counted < needed) problems.push(`** Only ${counted} of ${needed} trustworthy copies exist of ${name}`);
  return { key, path, ok: problems.length === 0, notes, problems };
}
