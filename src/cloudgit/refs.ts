// What the cloud looks like to `git fetch` (docs/cloudgit-format.md "Ref mapping"). For each branch X, one
// `refs/heads/X` — the newest head no other peer's head contains (ties: lowest peer id) — and, for every peer
// whose head is not contained in it, `refs/heads/ferry/peers/<peer>/X`: a divergence is never hidden, and
// `ferry sync` merges them all. Other refs (tags) take the newest value. HEAD follows the first peer's branch.
import { gitText } from '../git/index.js';
import type { GitEnv } from '../git/index.js';

export interface PeerRefs {
  readonly peer: string;
  readonly since: string;
  readonly head: string | undefined;
  readonly refs: Readonly<Record<string, string>>;
}

export interface Listing {
  readonly refs: ReadonlyMap<string, string>;
  /** The branch HEAD points at, when any peer recorded one that is listed. */
  readonly head: string | undefined;
}

export const PEER_REFS = 'refs/heads/ferry/peers/';

/** The per-peer name of branch `ref` (refs/heads/X → refs/heads/ferry/peers/<peer>/X). */
export function peerRef(peer: string, ref: string): string {
  return `${PEER_REFS}${peer}/${ref.slice('refs/heads/'.length)}`;
}

/** Commit time of each object, peeled to its commit (one git call); missing or non-commits get 0. */
async function commitTimes(git: GitEnv, shas: readonly string[]): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  if (shas.length === 0) return times;
  const text = await gitText(git, ['log', '--no-walk=unsorted', '--format=%H %ct', '--stdin'], { input: `${shas.join('\n')}\n`, okCodes: [128] });
  const byCommit = new Map(text.split('\n').filter((l) => l !== '').map((l) => l.split(' ') as [string, string]));
  const peeled = (await gitText(git, ['rev-parse', ...shas.map((s) => `${s}^{commit}`)], { okCodes: [128] })).split('\n');
  shas.forEach((sha, i) => times.set(sha, Number(byCommit.get(peeled[i] ?? '') ?? 0)));
  return times;
}

/** Heads among `shas` that no other of them contains (git merge-base --independent). */
async function independent(git: GitEnv, shas: readonly string[]): Promise<Set<string>> {
  const text = await gitText(git, ['merge-base', '--independent', ...shas]);
  return new Set(text.split('\n').filter((l) => l !== ''));
}

export async function listing(git: GitEnv, peers: readonly PeerRefs[]): Promise<Listing> {
  const byRef = new Map<string, { peer: string; sha: string }[]>();
  for (const p of peers) for (const [ref, sha] of Object.entries(p.refs)) {
    const list = byRef.get(ref) ?? [];
    list.push({ peer: p.peer, sha });
    byRef.set(ref, list);
  }
  const all = [...new Set([...byRef.values()].flat().map((v) => v.sha))];
  const times = await commitTimes(git, all);
  const out = new Map<string, string>();
  for (const [ref, values] of [...byRef].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const distinct = [...new Set(values.map((v) => v.sha))];
    if (distinct.length === 1) {
      out.set(ref, distinct[0]!);
      continue;
    }
    const isBranch = ref.startsWith('refs/heads/');
    const tips = isBranch ? await independent(git, distinct) : new Set(distinct);
    const ranked = values
      .filter((v) => tips.has(v.sha))
      .sort((a, b) => (times.get(b.sha)! - times.get(a.sha)!) || (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0));
    const chosen = ranked[0]!.sha;
    out.set(ref, chosen);
    if (!isBranch) continue;
    for (const v of ranked) if (v.sha !== chosen && !out.has(peerRef(v.peer, ref))) out.set(peerRef(v.peer, ref), v.sha);
  }
  const first = [...peers].filter((p) => p.head !== undefined && out.has(p.head)).sort((a, b) => (a.since < b.since ? -1 : a.since > b.since ? 1 : a.peer < b.peer ? -1 : 1))[0];
  return { refs: out, head: first?.head };
}
