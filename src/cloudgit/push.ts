// Pushing to the cloud (docs/cloudgit-format.md "Push"): one bundle of what no manifest's refs already reach,
// then this peer's manifest — bundle first, manifest last, each durable before the next, so an interrupted
// push leaves nothing visible. Only this peer writes its manifest, so pushes of other peers can never be lost.
// A push that changes nothing uploads nothing.
import { resolveRef, writeBundle, writeMergedBundle } from '../git/index.js';
import type { BundlePart } from '../git/index.js';
import { checkpoint } from '../util/index.js';
import { tempPath, uploadBundle } from './bundles.js';
import type { CloudContext } from './context.js';
import type { CloudRead } from './fetch.js';
import { encodeManifest } from './manifest.js';
import type { BundleEntry, Manifest } from './manifest.js';
import type { CloudState, OwnBundle } from './state.js';
import { consolidation } from './tiers.js';

export interface PushUpdate {
  /** What to push (a ref or object name in this repository); undefined deletes `dst`. */
  readonly src: string | undefined;
  readonly dst: string;
}

export interface PushResult {
  readonly dst: string;
  /** Why this ref was not pushed; undefined when it was. */
  readonly error?: string;
}

/** The bundles this manifest lists: our own, and every other peer's as that peer's own manifest lists them. */
function listedBundles(cx: CloudContext, state: CloudState, read: CloudRead): BundleEntry[] {
  const out = new Map<string, BundleEntry>();
  for (const b of state.bundles) out.set(b.id, { id: b.id, size: b.size, peer: b.peer });
  const authors = new Set(read.current.keys());
  for (const { manifest } of read.current.values()) {
    for (const b of manifest.bundles) {
      // An author's own manifest is the word on its bundles (it may have consolidated them away).
      if (b.peer === cx.peer || (authors.has(b.peer) && b.peer !== manifest.peer)) continue;
      if (!out.has(b.id)) out.set(b.id, b);
    }
  }
  return [...out.values()];
}

async function upload(cx: CloudContext, path: string, parts: readonly BundlePart[]): Promise<OwnBundle> {
  return { ...(await uploadBundle(cx, path)), parts };
}

/** After a rollback of the store: puts back every own bundle it lost (rebuilt from this repository's objects). */
async function restoreBundles(cx: CloudContext, state: CloudState): Promise<void> {
  const kept: OwnBundle[] = [];
  let lostUnknown = false;
  for (const b of state.bundles) {
    if (await cx.store.stat(cx.names.bundle(b.id))) kept.push(b);
    else if (b.parts.length === 0) lostUnknown = true;
    else {
      const path = tempPath(cx, 'restore');
      await writeMergedBundle(cx.git, b.parts, path);
      kept.push(await upload(cx, path, b.parts));
    }
  }
  if (lostUnknown) {
    // A lost bundle whose tips this repository no longer knows: one bundle of all our refs covers it.
    const tips = Object.entries(state.refs).map(([ref, sha]) => ({ ref, sha }));
    const path = tempPath(cx, 'restore');
    const written = tips.length > 0 ? await writeBundle(cx.git, tips, [], path) : undefined;
    if (written) kept.push(await upload(cx, path, [{ tips, prerequisites: written.prerequisites }]));
  }
  state.bundles = kept;
}

async function consolidate(cx: CloudContext, state: CloudState, all: boolean): Promise<void> {
  const known = state.bundles.filter((b) => b.parts.length > 0);
  const ids = new Set(all ? known.map((b) => b.id) : consolidation(known));
  if (ids.size < 2) return;
  const parts = state.bundles.filter((b) => ids.has(b.id)).flatMap((b) => b.parts);
  const path = tempPath(cx, 'merged');
  const written = await writeMergedBundle(cx.git, parts, path);
  const merged = await upload(cx, path, written.exact ? [{ tips: written.tips, prerequisites: written.prerequisites }] : parts);
  state.bundles = [...state.bundles.filter((b) => !ids.has(b.id)), merged];
  state.applied.push(merged.id);
}

export interface PushOptions {
  /** The branch HEAD names here, recorded for clones. */
  readonly head?: string | undefined;
  /** Merge all own bundles into one (`ferry cloud gc --full`). */
  readonly full?: boolean;
  /** Put back own bundles the store lost, and publish again, even when the manifest is current. */
  readonly repair?: boolean;
}

export async function pushCloud(cx: CloudContext, state: CloudState, read: CloudRead, updates: readonly PushUpdate[], opts: PushOptions = {}): Promise<PushResult[]> {
  const results: PushResult[] = [];
  const refs = { ...state.refs };
  for (const u of updates) {
    if (u.src === undefined) {
      delete refs[u.dst];
      results.push({ dst: u.dst });
      continue;
    }
    const sha = await resolveRef(cx.git, u.src);
    if (sha === undefined) results.push({ dst: u.dst, error: `${u.src} names nothing in this repository` });
    else {
      refs[u.dst] = sha;
      results.push({ dst: u.dst });
    }
  }
  const changed = Object.entries(refs).filter(([ref, sha]) => state.refs[ref] !== sha);
  const removed = Object.keys(state.refs).filter((ref) => !(ref in refs));
  const newHead = opts.head ?? state.head;
  const same = changed.length === 0 && removed.length === 0;
  if (same && (state.seq === 0 || (newHead === state.head && !read.ownBehind && !opts.full && !opts.repair))) return results;

  checkpoint('cloudgit-push-begin', cx.peer);
  if (read.ownBehind || opts.repair) await restoreBundles(cx, state);
  const exclude = new Set<string>([...Object.values(state.refs), ...state.bundles.flatMap((b) => b.parts.flatMap((p) => p.tips.map((t) => t.sha)))]);
  for (const { manifest } of read.current.values()) for (const sha of Object.values(manifest.refs)) exclude.add(sha);
  const tips = changed.map(([ref, sha]) => ({ ref, sha }));
  if (tips.length > 0) {
    const path = tempPath(cx, 'push');
    const written = await writeBundle(cx.git, tips, exclude, path);
    if (written) {
      const own = await upload(cx, path, [{ tips, prerequisites: written.prerequisites }]);
      state.bundles.push(own);
      state.applied.push(own.id);
    }
  }
  await consolidate(cx, state, opts.full ?? false);

  if (state.seq === 0 && !(await cx.store.stat(cx.names.marker))) await cx.store.put(cx.names.marker, { bytes: Buffer.from(`${cx.uuid}\n`) });
  const now = new Date().toISOString();
  const manifest: Manifest = {
    uuid: cx.uuid, peer: cx.peer, seq: Math.max(state.seq, read.own?.seq ?? 0) + 1, time: now, since: state.since ?? now,
    install: cx.install, head: newHead, refs, bundles: listedBundles(cx, state, read), ...(cx.repo !== undefined ? { repo: cx.repo } : {}),
  };
  checkpoint('cloudgit-manifest-before', String(manifest.seq));
  await cx.store.put(cx.names.manifest(cx.peer), { bytes: encodeManifest(manifest, cx.keys) });
  await cx.store.flush();
  checkpoint('cloudgit-manifest-put', String(manifest.seq));
  state.seq = manifest.seq;
  state.since = manifest.since;
  state.refs = refs;
  state.head = newHead;
  return results;
}
