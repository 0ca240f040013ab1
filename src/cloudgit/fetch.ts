// Reading the cloud (docs/cloudgit-format.md "Fetch"): list the manifests, read only those whose etag
// changed, refuse any that fails authentication or goes back in sequence, then download and apply the
// bundles this repository lacks — objects only, never refs. A peer's manifest counts as seen only once all
// its bundles are applied; a bundle not there yet leaves that peer at its previous manifest (cloud incomplete)
// until the grace period is over.
import { rm } from 'node:fs/promises';
import { applyBundle } from '../git/index.js';
import { StoreNotFoundError } from '../remotes/index.js';
import type { Store } from '../remotes/index.js';
import { checkpoint, mapPool } from '../util/index.js';
import { downloadBundle } from './bundles.js';
import type { CloudContext } from './context.js';
import { CloudIncompleteError, CloudRefusedError } from './errors.js';
import { decodeManifest } from './manifest.js';
import type { BundleEntry, Manifest } from './manifest.js';
import type { CloudState, OwnBundle } from './state.js';

export interface CloudRead {
  /** Every other peer's manifest as the store holds it now, with its store name and etag. */
  readonly current: ReadonlyMap<string, { readonly name: string; readonly etag: string; readonly manifest: Manifest }>;
  /** This peer's manifest in the store; undefined when there is none. */
  readonly own: Manifest | undefined;
  /** The store's own manifest is older than what this repository published (the store was rolled back). */
  readonly ownBehind: boolean;
}

const READ_JOBS = 8;
const DOWNLOAD_JOBS = 4;

/** A small object's bytes (a manifest, the uuid marker). */
export async function readSmall(store: Store, name: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of await store.get(name)) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

function sameContent(a: Manifest, b: Manifest): boolean {
  return JSON.stringify([a.refs, a.bundles]) === JSON.stringify([b.refs, b.bundles]);
}

/** Lists and reads the manifests; adopts our own when the store's is newer than our state (a push that crashed after its manifest). */
export async function readCloud(cx: CloudContext, state: CloudState): Promise<CloudRead> {
  const entries = [];
  for await (const entry of cx.store.list(cx.names.manifests)) entries.push(entry);
  const ownName = cx.names.manifest(cx.peer);
  const known = new Map(Object.values(state.peers).map((r) => [r.name, r]));
  const current = new Map<string, { name: string; etag: string; manifest: Manifest }>();
  let own: Manifest | undefined;
  await mapPool(entries, READ_JOBS, async (entry) => {
    const record = known.get(entry.name);
    if (record && record.etag === entry.etag) {
      current.set(record.manifest.peer, { name: entry.name, etag: entry.etag, manifest: record.manifest });
      return;
    }
    let sealed: Buffer;
    try {
      sealed = await readSmall(cx.store, entry.name);
    } catch (err) {
      if (err instanceof StoreNotFoundError) return; // replaced between list and get: the next read sees it
      throw err;
    }
    const isOwn = entry.name === ownName;
    const what = isOwn ? 'this peer\'s own manifest' : `manifest ${entry.name.slice(cx.names.manifests.length)}`;
    const manifest = decodeManifest(sealed, cx.keys, cx.uuid, what, (peer) => cx.names.manifest(peer) === entry.name);
    if (isOwn) {
      own = manifest;
      return;
    }
    const before = state.peers[manifest.peer]?.manifest;
    if (before && manifest.seq < before.seq) {
      throw new CloudRefusedError(`${what} (peer ${manifest.peer.slice(0, 8)}): refused: sequence ${manifest.seq} is older than ${before.seq}, already seen (a rolled-back or replayed manifest)`, {
        data: { peer: manifest.peer, seq: manifest.seq, seen: before.seq },
      });
    }
    if (before && manifest.seq === before.seq && !sameContent(manifest, before)) {
      throw new CloudRefusedError(`${what} (peer ${manifest.peer.slice(0, 8)}): refused: a second, different manifest with sequence ${manifest.seq}`, {
        data: { peer: manifest.peer, seq: manifest.seq },
      });
    }
    current.set(manifest.peer, { name: entry.name, etag: entry.etag, manifest });
  });
  if (own && own.seq > state.seq) adoptOwn(state, own);
  const ownBehind = state.seq > 0 && (own === undefined || own.seq < state.seq);
  if (ownBehind) {
    cx.say(`warning: the store holds ${own ? `sequence ${own.seq}` : 'no manifest'} for this peer, which published ${state.seq}: the store was rolled back; the next push publishes again`);
  }
  return { current, own, ownBehind };
}

/** A push whose manifest landed but whose state write did not: the store's manifest is ours and newer. */
function adoptOwn(state: CloudState, own: Manifest): void {
  const known = new Map(state.bundles.map((b) => [b.id, b]));
  state.seq = own.seq;
  state.since ??= own.since;
  state.refs = { ...own.refs };
  state.head = own.head;
  state.bundles = own.bundles.filter((b) => b.peer === own.peer).map((b): OwnBundle => known.get(b.id) ?? { ...b, parts: [] });
  for (const b of state.bundles) if (!state.applied.includes(b.id)) state.applied.push(b.id);
}

/**
 * Applies every bundle the current manifests list and this repository lacks, then records each manifest whose
 * bundles are all here as seen. Returns the peers left at an older manifest because a bundle is missing.
 */
export async function applyCloud(cx: CloudContext, state: CloudState, read: CloudRead): Promise<string[]> {
  const applied = new Set(state.applied);
  const changed = [...read.current.values()].filter(({ manifest }) => state.peers[manifest.peer]?.manifest.seq !== manifest.seq || !state.peers[manifest.peer]);
  const wanted = new Map<string, BundleEntry>();
  for (const { manifest } of changed) for (const b of manifest.bundles) if (!applied.has(b.id)) wanted.set(b.id, b);

  const missing = new Set<string>();
  const files = new Map<string, string>();
  try {
    await mapPool([...wanted.values()], DOWNLOAD_JOBS, async (entry) => {
      try {
        files.set(entry.id, await downloadBundle(cx, entry));
      } catch (err) {
        if (!(err instanceof StoreNotFoundError)) throw err;
        missing.add(entry.id);
      }
    });
    // Apply in rounds: a thin bundle whose delta bases another bundle brings waits for it. Prerequisite
    // commits are not required one by one (consolidated bundles of peers that built on each other can need
    // each other's commits); refs are only listed once every bundle of a manifest is here.
    let progress = true;
    while (files.size > 0 && progress) {
      progress = false;
      for (const [id, path] of files) {
        if ((await applyBundle(cx.git, path, cx.state.tmp)) === 'missing-bases') continue;
        checkpoint('cloudgit-bundle-applied', id);
        await rm(path, { force: true });
        files.delete(id);
        applied.add(id);
        progress = true;
      }
    }
  } finally {
    for (const path of files.values()) await rm(path, { force: true });
  }

  const now = Date.now();
  const behind: string[] = [];
  for (const { name, etag, manifest } of changed) {
    const lacking = manifest.bundles.filter((b) => !applied.has(b.id));
    if (lacking.length === 0) {
      state.peers[manifest.peer] = { name, etag, manifest };
      continue;
    }
    const first = lacking.find((b) => missing.has(b.id)) ?? lacking[0]!;
    const since = Date.parse(state.missingSince[first.id] ??= new Date(now).toISOString());
    const what = `peer ${manifest.peer.slice(0, 8)}'s sequence ${manifest.seq}`;
    if (now - since > cx.graceMs) {
      throw new CloudIncompleteError(`${what} lists bundle ${first.id}, which the store has ${missing.has(first.id) ? 'not had' : 'had without the commits it builds on'} for ${Math.round((now - since) / 60_000)} minutes`, {
        data: { peer: manifest.peer, bundle: first.id },
      });
    }
    cx.say(`cloud incomplete: ${what} waits for bundle ${first.id}; its previous state is used meanwhile`);
    behind.push(manifest.peer);
  }
  const listed = new Set([...read.current.values()].flatMap(({ manifest }) => manifest.bundles.map((b) => b.id)));
  for (const b of state.bundles) listed.add(b.id);
  state.applied = [...applied].filter((id) => listed.has(id));
  for (const id of Object.keys(state.missingSince)) if (applied.has(id) || !listed.has(id)) delete state.missingSince[id];
  return behind;
}
