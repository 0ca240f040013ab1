// The content step of `ferry sync --content`, as git-annex 10.20230126 does it (Command/Sync.hs syncFile,
// Annex/Drop.hs handleDropsFrom; each rule checked in the lab), for every annexed file of the work tree (and
// with --all every other key known, by key):
//   1. get it here when it is not here, a remote of this sync has it, and this repository wants it;
//   2. send it to each remote of this sync that lacks it and wants it;
//   3. drop it from those remotes, then from here, where it is no longer wanted and the copies that are
//      neither untrusted nor dead still number more than numcopies and mincopies.
// "Wants" is preferred content or required content; a repository with neither wants everything (git-annex's
// default for sync, unlike `get --auto`), so with no settings at all sync --content spreads every file to
// every repository and drops nothing. The drops themselves go through dropItems, which proves the other
// copies exist now under git-annex's locks, so the counts here only choose what to try.
// Unlike git-annex, which works file by file, the gets, the sends to each remote and the drops each run as
// one batch (durable and logged per batch, as `ferry get`/`copy` do); each file still gets its line.
import type { Annex, PolicyItem } from '../annex/index.js';
import { Policy, annexedFiles, policyItems } from '../annex/index.js';
import type { Remote } from '../remotes/index.js';
import { openRemotes } from '../remotes/index.js';
import type { ContentSync, ContentSyncOptions, ContentSyncResult } from './sync-content.js';
import type { TransferEvents, TransferItem, TransferResult } from './transfer/index.js';
import { dropItems, dropPolicy, getItems, itemOf, selectItems, sendItems } from './transfer/index.js';

/** A file with what the location log (and this run) says about where its content is. */
interface Entry {
  readonly item: TransferItem;
  readonly locations: Set<string>;
}

export const syncContent: ContentSync['run'] = async (annex, remoteNames, opts) => {
  if (annex.repo.bare) return { changed: false, failed: 0 }; // no work tree: nothing names content
  const opened = await openRemotes(annex);
  const policy = await Policy.load(annex);
  try {
    const remotes = contentRemotes(annex, opened.remotes, remoteNames);
    for (const s of opened.skipped) {
      // git-annex skips annex-ignore remotes silently; ferry says why it skips any other remote of the sync.
      if (remoteNames.includes(s.name) && !annex.repo.config.bool(`remote.${s.name}.annex-ignore`, false)) {
        opts.note?.(`${s.name}: ${s.reason}`);
      }
    }
    const files = await annexedFiles(annex, []);
    const items = files.map(itemOf);
    if (opts.all) {
      // Keys no file of the work tree names (old versions, other branches): as git-annex's --all, by key.
      const named = new Set(items.map((i) => i.key));
      items.push(...(await selectItems(annex, { paths: [], all: true })).filter((i) => !named.has(i.key)));
    }
    // One set per key: files with the same content share where it is.
    const byKeyLocations = new Map<string, Set<string>>();
    const entries: Entry[] = (await policyItems(annex, items)).map((p, i) => {
      let locations = byKeyLocations.get(p.key);
      if (!locations) byKeyLocations.set(p.key, locations = new Set(p.locations));
      return { item: items[i]!, locations };
    });
    return await new ContentRun(annex, policy, remotes, opened.remotes, opts).run(entries);
  } finally {
    policy.close();
    opened.close();
  }
};

/** The remotes content moves with: those this sync talks to, that git-annex would use for content. */
function contentRemotes(annex: Annex, all: readonly Remote[], names: readonly string[]): Remote[] {
  return all.filter((r) => names.includes(r.name) && !annex.repo.config.bool(`remote.${r.name}.annex-ignore`, false));
}

class ContentRun {
  private moved = false;
  private failed = 0;

  constructor(private readonly annex: Annex, private readonly policy: Policy, private readonly remotes: readonly Remote[],
    /** Every remote that could be opened: a drop may count copies in remotes this sync does not talk to. */
    private readonly allRemotes: readonly Remote[], private readonly opts: ContentSyncOptions) {}

  async run(entries: readonly Entry[]): Promise<ContentSyncResult> {
    await this.get(entries);
    for (const remote of this.remotes) {
      if (!this.readonly(remote)) await this.send(remote, entries);
    }
    await this.drop(entries);
    return { changed: this.moved, failed: this.failed };
  }

  private async get(entries: readonly Entry[]): Promise<void> {
    const here = this.annex.uuid;
    const uuids = new Set(this.remotes.map((r) => r.uuid));
    const wanted: Entry[] = [];
    // Content here that a killed run left unlogged, or not yet in its unlocked file: getItems settles it.
    const settle: Entry[] = [];
    for (const e of entries) {
      if (e.locations.has(here)) {
        if (e.item.unlocked) settle.push(e);
        continue;
      }
      if (await this.annex.objects.has(e.item.key)) {
        settle.push(e);
        e.locations.add(here);
        continue;
      }
      if (![...e.locations].some((u) => uuids.has(u))) continue;
      if (await this.wants(here, e)) wanted.push(e);
    }
    if (wanted.length === 0 && settle.length === 0) return;
    const results = await getItems(this.annex, this.remotes, [...settle, ...wanted].map((e) => e.item), this.counting('get'),
      this.opts.jobs !== undefined ? { jobs: this.opts.jobs } : {});
    this.record(results, wanted, here);
  }

  private async send(remote: Remote, entries: readonly Entry[]): Promise<void> {
    const wanted: Entry[] = [];
    for (const e of entries) {
      if (e.locations.has(remote.uuid) || !e.locations.has(this.annex.uuid)) continue;
      if (await this.wants(remote.uuid, e)) wanted.push(e);
    }
    if (wanted.length === 0) return;
    const { results, there } = await sendItems(this.annex, remote, wanted.map((e) => e.item), this.counting('copy'), { jobs: this.opts.jobs });
    this.record(results, wanted, remote.uuid);
    // Found there already: the log now says so, and so should the counts for the drops.
    for (const e of wanted) if (there.has(e.item.key)) e.locations.add(remote.uuid);
  }

  /** Plans every drop with the logged counts (remotes in cost order, then here, as git-annex), then drops. */
  private async drop(entries: readonly Entry[]): Promise<void> {
    const targets: { uuid: string; remote: Remote | undefined }[] = [
      ...this.remotes.map((r) => ({ uuid: r.uuid, remote: r })), { uuid: this.annex.uuid, remote: undefined },
    ];
    const planned = new Map<string, TransferItem[]>(targets.map((t) => [t.uuid, []]));
    for (const group of byKey(entries)) {
      const locations = group[0]!.locations;
      let copies = [...locations].filter((u) => this.counts(u)).length;
      for (const t of targets) {
        if (!locations.has(t.uuid) || (t.remote && this.readonly(t.remote))) continue;
        if (!(await this.mayDrop(t.uuid, group, copies))) continue;
        planned.get(t.uuid)!.push(...group.map((e) => e.item));
        if (this.counts(t.uuid)) copies--;
      }
    }
    const policy = dropPolicy(this.policy);
    for (const t of targets) {
      const items = planned.get(t.uuid)!;
      if (items.length === 0) continue;
      // A refused drop is reported but does not fail the sync (git-annex: "a failure to drop does not mean
      // the sync failed").
      const events = this.opts.events('drop', t.remote?.name);
      await dropItems(this.annex, this.allRemotes, items, policy, events, t.remote ? { from: t.remote } : {});
    }
  }

  /** Whether `uuid` may drop the key of `group` (all files of one key): unwanted by every file, copies to spare. */
  private async mayDrop(uuid: string, group: readonly Entry[], copies: number): Promise<boolean> {
    if (!this.policy.isDefined(uuid)) return false; // wants everything
    for (const e of group) {
      const item = this.policyItem(e);
      if (copies <= await this.policy.numcopies(item) || copies <= await this.policy.mincopies(item)) return false;
      if (await this.policy.wanted(uuid, item, { assumeAbsent: true }) !== false) return false;
    }
    return true;
  }

  /** Whether `uuid` wants the content of `e`: its preferred or required content, or everything when unset. */
  private async wants(uuid: string, e: Entry): Promise<boolean> {
    return (await this.policy.wanted(uuid, this.policyItem(e))) ?? true;
  }

  /** A copy that numcopies counts without verification: neither untrusted nor dead (Annex/NumCopies.hs). */
  private counts(uuid: string): boolean {
    const trust = this.policy.trust(uuid);
    return trust !== 'untrusted' && trust !== 'dead';
  }

  private readonly(remote: Remote): boolean {
    return this.annex.repo.config.bool(`remote.${remote.name}.annex-readonly`, false);
  }

  private policyItem(e: Entry): PolicyItem {
    const size = e.item.size;
    return { key: e.item.key, locations: e.locations, ...(e.item.path !== undefined ? { path: e.item.path } : {}), ...(size !== undefined ? { size } : {}) };
  }

  /** The receiver for `action`, counting failures (drops are not counted: see drop()). */
  private counting(action: 'get' | 'copy'): TransferEvents {
    const inner = this.opts.events(action);
    return {
      ...(inner.start ? { start: (item, note) => inner.start!(item, note) } : {}),
      ...(inner.progress ? { progress: (item, bytes, total) => inner.progress!(item, bytes, total) } : {}),
      done: (r) => {
        if (!r.ok) this.failed++;
        inner.done(r);
      },
    };
  }

  /** Notes the new copies the results made (in `uuid`), so later steps count them. */
  private record(results: readonly TransferResult[], entries: readonly Entry[], uuid: string): void {
    const ok = new Set(results.filter((r) => r.ok).map((r) => r.item.key));
    if (ok.size > 0) this.moved = true;
    for (const e of entries) if (ok.has(e.item.key)) e.locations.add(uuid);
  }
}

/** Entries grouped by key (two files with one content share their locations). */
function byKey(entries: readonly Entry[]): Entry[][] {
  const groups = new Map<string, Entry[]>();
  for (const e of entries) {
    const g = groups.get(e.item.key);
    if (g) g.push(e);
    else groups.set(e.item.key, [e]);
  }
  return [...groups.values()];
}
