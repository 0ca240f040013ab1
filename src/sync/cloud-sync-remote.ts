// A ferry:: remote as sync sees it: cloudgit called in-process (no git-remote-ferry process, no extra Node).
// fetch applies every peer's bundles and mirrors the cloud's refs into refs/remotes/NAME/* (stale ones pruned);
// the heads to merge are BRANCH, synced/BRANCH and every peer's divergent head; push sends the four refs of a
// sync in one bundle and one manifest, and nothing at all when the cloud already has them.
import type { Annex } from '../annex/index.js';
import { PEER_REFS } from '../cloudgit/index.js';
import type { PushUpdate } from '../cloudgit/index.js';
import { NULL_SHA, isAncestor, listRefs, updateRefs } from '../git/index.js';
import type { GitEnv, RefUpdate } from '../git/index.js';
import { errorMessage, warn } from '../util/index.js';
import { announcePush } from './cloud-notify.js';
import { RetiredRemoteError, isRetiredRemote } from './cloud-retired.js';
import { resolveCloud } from './cloud-remote.js';
import type { ResolvedCloud } from './cloud-remote.js';
import type { GitRemoteSettings } from './remote-list.js';
import type { FetchResult, PushResult, RefPush, SyncRemote, SyncRemoteCapabilities } from './sync-remote.js';

const ANNEX_BRANCH = 'refs/heads/git-annex';

/** Tells other machines of a push that landed: this peer's new seq in the cloud of git remote `remote`. */
export type PushAnnouncer = (remote: string, published: { readonly peer: string; readonly seq: number }) => Promise<void>;

export class CloudSyncRemote implements SyncRemote {
  readonly name: string;
  readonly cost: number;
  readonly capabilities: SyncRemoteCapabilities;
  readonly #git: GitEnv;

  /** `announce` replaces announcePush's one-off connections (the assistant announces through the ones it keeps open). */
  constructor(private readonly annex: Annex, private readonly settings: GitRemoteSettings, private readonly announce?: PushAnnouncer) {
    this.name = settings.name;
    this.cost = settings.cost;
    this.capabilities = { pull: settings.pull, push: settings.push };
    this.#git = annex.repo.git;
  }

  unavailable(): Promise<string | undefined> {
    return Promise.resolve(undefined); // a cloud: only trying tells
  }

  async #with<T>(fn: (cloud: ResolvedCloud) => Promise<T>): Promise<T> {
    const resolved = await resolveCloud(this.annex.repo, this.name, this.settings.url.replace(/^ferry::/, ''), (line) => warn(line));
    try {
      return await fn(resolved);
    } finally {
      await resolved.close();
    }
  }

  async fetch(): Promise<FetchResult> {
    try {
      const listing = await this.#with((c) => c.cloud.fetch());
      const prefix = `refs/remotes/${this.name}/`;
      const before = new Map((await listRefs(this.#git, [prefix])).map((r) => [r.ref, r.sha]));
      const updates: RefUpdate[] = [];
      const lines: string[] = [];
      const wanted = new Set<string>();
      for (const [ref, sha] of listing.refs) {
        if (!ref.startsWith('refs/heads/')) continue;
        const tracking = prefix + ref.slice('refs/heads/'.length);
        wanted.add(tracking);
        const old = before.get(tracking);
        if (old === sha) continue;
        updates.push({ ref: tracking, sha, expected: old ?? NULL_SHA });
        lines.push(` ${old === undefined ? '* [new branch]' : `  ${old.slice(0, 7)}..${sha.slice(0, 7)}`} ${ref.slice(11)} -> ${this.name}/${ref.slice(11)}`);
      }
      for (const ref of before.keys()) {
        if (wanted.has(ref) || ref === `${prefix}HEAD`) continue;
        updates.push({ ref, delete: true });
        lines.push(` - [deleted] (none) -> ${ref.slice('refs/remotes/'.length)}`);
      }
      if (updates.length > 0) await updateRefs(this.#git, updates, `fetch ${this.name}`);
      return { ok: true, output: lines.length > 0 ? `From ${this.settings.url}\n${lines.join('\n')}\n` : '' };
    } catch (err) {
      return { ok: false, output: '', error: errorMessage(err) };
    }
  }

  async headsToMerge(branch: string): Promise<string[]> {
    const local = `refs/heads/${branch}`;
    const peers = `refs/remotes/${this.name}/${PEER_REFS.slice('refs/heads/'.length)}`;
    const all = await listRefs(this.#git, [local, this.tracking(branch), this.tracking(`synced/${branch}`), peers]);
    const ours = all.find((r) => r.ref === local)?.sha;
    const isCandidate = (ref: string): boolean => {
      if (ref === this.tracking(branch) || ref === this.tracking(`synced/${branch}`)) return true;
      if (!ref.startsWith(peers)) return false;
      const rest = ref.slice(peers.length).replace(/^[^/]+\//, ''); // after <peer>/
      return rest === branch || rest === `synced/${branch}`;
    };
    const heads: string[] = [];
    const seen = new Set<string>();
    for (const r of all) {
      if (!isCandidate(r.ref) || r.sha === ours || seen.has(r.sha)) continue;
      seen.add(r.sha);
      if (ours === undefined || !(await isAncestor(this.#git, r.sha, ours))) heads.push(r.ref);
    }
    return heads;
  }

  async push(branch: string): Promise<PushResult> {
    const local = `refs/heads/${branch}`;
    const synced = `refs/heads/synced/${branch}`;
    const destination = this.settings.url;
    if (isRetiredRemote(this.annex.repo, this.name)) return { status: 'failed', destination, refs: [], error: new RetiredRemoteError(this.name).message };
    try {
      return await this.#with(async (resolved) => {
        const { cloud } = resolved;
        const own = (await cloud.listForPush()).refs;
        const here = new Map((await listRefs(this.#git, [local, ANNEX_BRANCH])).map((r) => [r.ref, r.sha]));
        const fastForwards = async (ref: string): Promise<boolean> => {
          const theirs = own.get(ref);
          return theirs === undefined || theirs === here.get(ref) || isAncestor(this.#git, theirs, here.get(ref)!);
        };
        const wanted: { update: PushUpdate; required: boolean }[] = [];
        if (here.has(local)) wanted.push({ update: { src: local, dst: synced }, required: true });
        if (here.has(ANNEX_BRANCH)) wanted.push({ update: { src: ANNEX_BRANCH, dst: 'refs/heads/synced/git-annex' }, required: true });
        if (here.has(ANNEX_BRANCH) && (await fastForwards(ANNEX_BRANCH))) wanted.push({ update: { src: ANNEX_BRANCH, dst: ANNEX_BRANCH }, required: false });
        if (here.has(local) && (await fastForwards(local))) wanted.push({ update: { src: local, dst: local }, required: false });
        const changing = wanted.filter((w) => own.get(w.update.dst) !== here.get(w.update.src!));
        if (changing.length === 0) return { status: 'current', destination, refs: [] };
        const results = await cloud.push(changing.map((w) => w.update));
        const refs: RefPush[] = changing.map((w, i) => {
          const old = own.get(w.update.dst);
          const sha = here.get(w.update.src!)!;
          const error = results[i]?.error;
          return {
            source: w.update.src!, destination: w.update.dst, required: w.required,
            flag: error !== undefined ? '!' : old === undefined ? '*' : ' ',
            summary: error !== undefined ? '[rejected]' : old === undefined ? '[new branch]' : `${old.slice(0, 7)}..${sha.slice(0, 7)}`,
            ...(error !== undefined ? { reason: error } : {}),
          };
        });
        const refused = refs.filter((r) => r.required && r.flag === '!');
        if (refused.length > 0) return { status: 'failed', destination, refs, error: `refused: ${refused.map((r) => r.reason).join(', ')}` };
        if (this.announce) await this.announce(this.name, { peer: resolved.cloud.peer, seq: (await resolved.cloud.progress()).seq });
        else await announcePush(this.annex.repo, this.name, resolved);
        return { status: 'pushed', destination, refs };
      });
    } catch (err) {
      return { status: 'failed', destination, refs: [], error: errorMessage(err) };
    }
  }

  private tracking(branch: string): string {
    return `refs/remotes/${this.name}/${branch}`;
  }
}
