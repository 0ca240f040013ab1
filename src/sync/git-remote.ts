// A git remote as sync sees it (annex-format.md §4): `git fetch NAME`, merge refs/remotes/NAME/BRANCH and
// refs/remotes/NAME/synced/BRANCH, and one `git push NAME` of BRANCH:synced/BRANCH +git-annex:synced/git-annex
// (plus BRANCH and git-annex where they fast-forward). git-annex 10.20230126 runs three pushes for this
// (the sync refs, then `git-annex` quietly, then BRANCH with its error hidden when the remote refuses its
// checked-out branch); one push with --porcelain reads the outcome of each ref instead. Works over any URL
// git supports: every command goes through the repository's git environment, so ferry's filter and hooks
// apply and git-annex is never started.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Annex } from '../annex/index.js';
import { isAncestor, listRefs, runGit } from '../git/index.js';
import type { GitEnv } from '../git/index.js';
import { parsePushPorcelain } from './push-porcelain.js';
import type { GitRemoteSettings } from './remote-list.js';
import type { FetchResult, PushResult, RefPush, SyncRemote, SyncRemoteCapabilities } from './sync-remote.js';

const ANNEX_BRANCH = 'refs/heads/git-annex';
const SYNCED_ANNEX_BRANCH = 'refs/heads/synced/git-annex';
/** Where git refuses to update the checked-out branch of a non-bare remote (receive.denyCurrentBranch). */
const CHECKED_OUT = /checked out|denyCurrentBranch/;

export class GitSyncRemote implements SyncRemote {
  readonly name: string;
  readonly cost: number;
  readonly capabilities: SyncRemoteCapabilities;
  private readonly git: GitEnv;

  constructor(annex: Annex, private readonly settings: GitRemoteSettings) {
    this.name = settings.name;
    this.cost = settings.cost;
    this.capabilities = { pull: settings.pull, push: settings.push };
    this.git = annex.repo.git;
  }

  async unavailable(): Promise<string | undefined> {
    const path = this.settings.path;
    if (path === undefined) return undefined; // a URL: only trying tells
    const st = await stat(path).catch(() => undefined);
    if (!st?.isDirectory()) return `${path} does not exist`;
    // A work tree has .git; a bare repository (or a .git directory named directly) has HEAD.
    for (const marker of ['.git', 'HEAD']) if (await stat(join(path, marker)).catch(() => undefined)) return undefined;
    return `${path} is not a git repository`;
  }

  async fetch(): Promise<FetchResult> {
    const r = await runGit(this.git, ['fetch', this.name], { okCodes: [1, 128] });
    const output = r.stdout.toString('utf8') + r.stderr;
    if (r.code === 0) return { ok: true, output };
    return { ok: false, output: '', error: firstGitError(r.stderr) ?? `git fetch ${this.name} exited with status ${r.code}` };
  }

  async headsToMerge(branch: string): Promise<string[]> {
    const local = `refs/heads/${branch}`;
    const candidates = [this.tracking(branch), this.tracking(`synced/${branch}`)];
    const refs = new Map((await listRefs(this.git, [local, ...candidates])).map((r) => [r.ref, r.sha]));
    const ours = refs.get(local);
    const heads: string[] = [];
    for (const ref of candidates) {
      const sha = refs.get(ref);
      if (sha === undefined || sha === ours) continue;
      if (ours === undefined || !(await isAncestor(this.git, sha, ours))) heads.push(ref);
    }
    return heads;
  }

  async push(branch: string): Promise<PushResult> {
    const local = `refs/heads/${branch}`;
    const synced = `refs/heads/synced/${branch}`;
    const names = [local, synced, ANNEX_BRANCH, this.tracking(branch), this.tracking(`synced/${branch}`), this.tracking('git-annex')];
    const refs = new Map((await listRefs(this.git, names)).map((r) => [r.ref, r.sha]));
    // git-annex's needpush: the remote lacks something of synced/BRANCH or of git-annex, as last fetched.
    const newer = async (ours: string, theirs: string) => {
      const a = refs.get(ours);
      const b = refs.get(theirs);
      if (a === undefined) return false;
      return b === undefined || (a !== b && !(await isAncestor(this.git, a, b)));
    };
    const syncedRef = refs.has(synced) ? synced : local;
    if (!(await newer(syncedRef, this.tracking(`synced/${branch}`))) && !(await newer(ANNEX_BRANCH, this.tracking('git-annex')))) {
      return { status: 'current', destination: this.settings.url, refs: [] };
    }
    const fastForwards = async (ours: string, theirs: string) => {
      const b = refs.get(theirs);
      return b === undefined || isAncestor(this.git, b, refs.get(ours)!);
    };
    const refspecs = [`${local}:${synced}`, `+${ANNEX_BRANCH}:${SYNCED_ANNEX_BRANCH}`];
    if (await fastForwards(ANNEX_BRANCH, this.tracking('git-annex'))) refspecs.push(`${ANNEX_BRANCH}:${ANNEX_BRANCH}`);
    if (await fastForwards(local, this.tracking(branch))) refspecs.push(`${local}:${local}`);
    const required = new Set([synced, SYNCED_ANNEX_BRANCH]);
    const r = await runGit(this.git, ['push', '--porcelain', this.name, ...refspecs], { okCodes: [1, 128] });
    const parsed = parsePushPorcelain(r.stdout.toString('utf8'));
    const pushed: RefPush[] = parsed.refs.map((p) => ({ ...p, required: required.has(p.destination) }));
    const destination = parsed.destination || this.settings.url;
    const refused = pushed.filter((p) => p.required && p.flag === '!');
    if (pushed.length === 0) {
      return { status: 'failed', destination, refs: [], error: firstGitError(r.stderr) ?? `git push ${this.name} exited with status ${r.code}` };
    }
    if (refused.length > 0) {
      const why = refused.map((p) => `${p.destination.replace(/^refs\/heads\//, '')} ${p.summary}${p.reason ? ` (${p.reason})` : ''}`);
      return { status: 'failed', destination, refs: pushed, error: `refused: ${why.join(', ')}` };
    }
    return { status: 'pushed', destination, refs: pushed };
  }

  private tracking(branch: string): string {
    return `refs/remotes/${this.name}/${branch}`;
  }
}

/** Whether a refused optional ref is the everyday case of a non-bare remote's checked-out branch. */
export function refusedAsCheckedOut(r: RefPush): boolean {
  return r.flag === '!' && CHECKED_OUT.test(r.reason ?? '');
}

/** The first line of git's stderr worth showing as a one-line error, without its "fatal: " prefix. */
function firstGitError(stderr: string): string | undefined {
  // Skip git's report of what did go through ("From URL", indented ref lines); the first other line is
  // the cause ("ssh: Could not resolve hostname ...", "fatal: '../gone.git' does not appear to be ...").
  const line = stderr.split('\n').find((l) => l.trim() !== '' && !l.startsWith('From ') && !l.startsWith('To ') && !l.startsWith(' '));
  return line?.trim().replace(/^(fatal|error):\s*/, '');
}
