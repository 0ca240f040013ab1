// Old versions (unused content) for the status page, and their expiry by `annex.expireunused` — git-annex's
// assistant setting (git-annex(1) "annex.expireunused"; Assistant/Unused.hs, Threads/SanityChecker.hs):
// unused content first found unused longer ago than the duration is dropped from here.
//
// Like git-annex's assistant, expiry drops without proving other copies (the setting is the user's consent
// to lose old versions: on a client whose peers sit on other networks a numcopies proof would almost never
// succeed, and nothing would ever expire). What makes it safe enough: usage is recomputed right before
// (git-annex trusts its daily log), a key locked by a transfer is skipped, and unset or "false" keeps all.
import { findUnused, parseKey, saveUnusedList } from '../annex/index.js';
import type { Annex, UnusedEntry } from '../annex/index.js';
import { runGit } from '../git/index.js';
import { dropItems, dropPolicy, loadTransferPolicy } from '../sync/index.js';

/** What annex.expireunused says: keep everything, or drop what has been unused for `seconds`. */
export type ExpirySetting = { readonly kind: 'keep' } | { readonly kind: 'after'; readonly seconds: number };

// Utility/HumanTime.hs units; "m" is minutes there, not months.
const UNIT_SECONDS: Readonly<Record<string, number>> = { y: 365 * 86400, d: 86400, h: 3600, m: 60, s: 1 };

/**
 * git-annex's duration syntax: numbers each followed by a unit y/d/h/m/s, the last number may have none
 * (seconds): "7d", "1d12h", "90". Anything else is undefined.
 */
export function parseDuration(text: string): number | undefined {
  if (!/^(?:\d+[ydhms])*\d*$/.test(text) || text === '') return undefined;
  let seconds = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([ydhms]?)/g)) seconds += Number(n) * (unit ? UNIT_SECONDS[unit]! : 1);
  return seconds;
}

/** Unset, "false" or anything that is not a duration keeps old versions, as git-annex reads the setting. */
export function parseExpireUnused(value: string | undefined): ExpirySetting {
  const seconds = value === undefined ? undefined : parseDuration(value.trim());
  return seconds === undefined ? { kind: 'keep' } : { kind: 'after', seconds };
}

/** The setting as it is now: read afresh, because the user may change it while the assistant runs. */
export async function readExpirySetting(annex: Annex): Promise<ExpirySetting> {
  const { stdout } = await runGit({ cwd: annex.repo.git.cwd }, ['config', '--get', 'annex.expireunused'], { okCodes: [1] });
  const value = stdout.toString('utf8').replace(/\n$/, '');
  return parseExpireUnused(value === '' ? undefined : value);
}

/** The status page's "old versions" (StatusSnapshot.unused). */
export interface UnusedSummary {
  readonly keys: number;
  readonly bytes: number;
  /** When annex.expireunused expires them: after this many days (fractions for hours). */
  readonly expireAfterDays?: number;
}

export interface ExpiryResult {
  /** Keys dropped from here. */
  readonly dropped: readonly string[];
  /** Keys old enough that could not be dropped now (locked by a transfer, say); the next run tries again. */
  readonly failed: readonly { readonly key: string; readonly error: string }[];
  /** What is left after the expiry. */
  readonly summary: UnusedSummary;
}

/**
 * Finds the unused content here and records it in .git/annex/unused, keeping each key's number (so a
 * `dropunused N` from the user's last listing still means the same key) and the time it was first found
 * unused. The cost is one `git ls-tree -r` per distinct ref head and the index, plus a walk of the object
 * directory: run it every few minutes and after merges, not per status request.
 */
export async function unusedSummary(annex: Annex, now: Date = new Date()): Promise<UnusedSummary> {
  const [entries, setting] = await Promise.all([refreshUnused(annex, now), readExpirySetting(annex)]);
  return summarise(annex, [...entries.keys()], setting);
}

/**
 * Drops the unused content that has been unused for at least annex.expireunused (nothing when it is unset
 * or not a duration), using the drop code `ferry dropunused --force` uses: the content lock is taken and
 * the location log updated. `now` is a parameter so tests need not wait days.
 */
export async function expireUnused(annex: Annex, now: Date = new Date()): Promise<ExpiryResult> {
  const [entries, setting] = await Promise.all([refreshUnused(annex, now), readExpirySetting(annex)]);
  const due = setting.kind === 'after' ? [...entries].filter(([, e]) => isDue(e, now, setting.seconds)).map(([k]) => k) : [];
  const dropped: string[] = [];
  const failed: { key: string; error: string }[] = [];
  if (due.length > 0) {
    const policy = await loadTransferPolicy(annex);
    try {
      const items = due.map((key) => ({ key, size: parseKey(key)?.size }));
      await dropItems(annex, [], items, dropPolicy(policy), {
        done(r) {
          if (r.ok) dropped.push(r.item.key);
          else failed.push({ key: r.item.key, error: r.error ?? r.note ?? 'not dropped' });
        },
      }, { force: true });
    } finally {
      policy.close();
    }
  }
  const gone = new Set(dropped);
  const left = [...entries.keys()].filter((k) => !gone.has(k));
  if (dropped.length > 0) await saveUnusedList(annex, left, { keepNumbers: true });
  return { dropped, failed, summary: await summarise(annex, left, setting) };
}

/** A key without a time (a log from an old git-annex) never expires by age, as in git-annex. */
function isDue(entry: UnusedEntry, now: Date, seconds: number): boolean {
  if (entry.since === undefined) return false;
  const unusedForMs = now.getTime() - Number(entry.since / 1_000_000_000n);
  return unusedForMs >= seconds * 1000;
}

async function refreshUnused(annex: Annex, now: Date): Promise<Map<string, UnusedEntry>> {
  const keys = await findUnused(annex);
  // Clocks are picoseconds since the epoch (annex-format §3.1).
  return saveUnusedList(annex, keys, { keepNumbers: true, now: BigInt(now.getTime()) * 1_000_000_000n });
}

async function summarise(annex: Annex, keys: readonly string[], setting: ExpirySetting): Promise<UnusedSummary> {
  let bytes = 0;
  for (const key of keys) {
    // A key names its size except for some backends (WORM without -s, URL): then ask the file.
    bytes += parseKey(key)?.size ?? (await annex.objects.statObject(key))?.size ?? 0;
  }
  return setting.kind === 'after' ? { keys: keys.length, bytes, expireAfterDays: setting.seconds / 86400 } : { keys: keys.length, bytes };
}
