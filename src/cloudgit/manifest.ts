// A peer's manifest (docs/cloudgit-format.md "Manifest"): the refs it last pushed, the bundles that rebuild
// them (its own and those of other peers it builds on), a sequence number that only grows, and who wrote it.
// Written only by its peer (single writer), so concurrent pushes of different peers never overwrite each
// other. JSON, deflated, padded and sealed under the manifest key.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { openBytes, sealBytes } from '../crypto/index.js';
import { CloudRefusedError } from './errors.js';
import { FORMAT_VERSION, sealContext } from './keys.js';
import type { CloudKeys } from './keys.js';

export interface BundleEntry {
  /** 32 hex digits: the first 128 bits of SHA-256 of the sealed bytes; the object's name in the store. */
  readonly id: string;
  /** Sealed bytes. */
  readonly size: number;
  /** The peer that wrote it, the only one that may consolidate it away. */
  readonly peer: string;
}

export interface Manifest {
  /** The special remote this cloud belongs to (bound into every seal; recorded so a URL finds its remote). */
  readonly uuid: string;
  readonly peer: string;
  readonly seq: number;
  /** When this manifest was written, and when this peer first pushed (ISO 8601). */
  readonly time: string;
  readonly since: string;
  /** Hash of the writer's install fingerprint: two writers of one manifest are detectable. */
  readonly install: string;
  /** The branch HEAD named when the peer pushed (refs/heads/…), if any. */
  readonly head: string | undefined;
  /** The git-annex uuid of the repository this peer is (absent before it was initialised, or from older writers). */
  readonly repo?: string;
  readonly refs: Readonly<Record<string, string>>;
  readonly bundles: readonly BundleEntry[];
}

const HEX32 = /^[0-9a-f]{32}$/;
/** A git-annex uuid as uuid.log holds them (git-annex writes RFC 4122 form; any case and hex digit count is left to it). */
const UUID = /^[0-9A-Za-z-]{1,64}$/;
const OID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const REF = /^refs\/[^\0\n ]+$/;

/** Sealed size hides the exact length: rounded up to 1/64 of itself (at least 32 bytes). */
export function paddedSize(n: number): number {
  const granule = 2 ** Math.max(5, Math.floor(Math.log2(Math.max(n, 1))) - 5);
  return Math.ceil(n / granule) * granule;
}

export function encodeManifest(m: Manifest, keys: CloudKeys): Buffer {
  const byPeer: Record<string, [string, number][]> = {};
  for (const b of m.bundles) (byPeer[b.peer] ??= []).push([b.id, b.size]);
  const json = JSON.stringify({
    format: FORMAT_VERSION, uuid: m.uuid, peer: m.peer, seq: m.seq, time: m.time, since: m.since,
    install: m.install, head: m.head ?? null, refs: m.refs, bundles: byPeer, ...(m.repo !== undefined ? { repo: m.repo } : {}),
  });
  const body = deflateRawSync(json);
  return sealBytes(keys.manifest, sealContext('manifest', m.uuid), body, paddedSize(body.length));
}

/**
 * Opens and checks a manifest read from the store under `name`. `peerOfName` tells whether a peer id is the
 * one that name belongs to (a manifest copied over another peer's is refused). Throws CloudRefusedError.
 */
export function decodeManifest(sealed: Uint8Array, keys: CloudKeys, uuid: string, what: string, peerOfName: (peer: string) => boolean): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(inflateRawSync(openBytes(keys.manifest, sealContext('manifest', uuid), sealed, what)).toString('utf8'));
  } catch (err) {
    throw new CloudRefusedError(`${what}: refused: ${(err as Error).message}`, { cause: err, data: { what } });
  }
  const bad = (field: string): never => {
    throw new CloudRefusedError(`${what}: refused: field ${field} is missing or malformed`, { data: { what, field } });
  };
  const o = json as Record<string, unknown>;
  if (typeof o !== 'object' || o === null) bad('(the whole manifest)');
  if (o.format !== FORMAT_VERSION) {
    throw new CloudRefusedError(`${what}: format ${String(o.format)} is not one this ferry reads (${FORMAT_VERSION})`, {
      data: { what }, hint: 'update ferry on this machine',
    });
  }
  if (o.uuid !== uuid) bad('uuid');
  if (typeof o.peer !== 'string' || !HEX32.test(o.peer)) bad('peer');
  if (!peerOfName(o.peer as string)) {
    throw new CloudRefusedError(`${what}: refused: it holds peer ${String(o.peer)}'s manifest under another peer's name`, { data: { what } });
  }
  if (!Number.isSafeInteger(o.seq) || (o.seq as number) < 1) bad('seq');
  for (const f of ['time', 'since'] as const) {
    const v = o[f];
    if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) bad(f);
  }
  if (typeof o.install !== 'string' || !HEX32.test(o.install)) bad('install');
  if (o.head !== null && (typeof o.head !== 'string' || !REF.test(o.head))) bad('head');
  if (o.repo !== undefined && (typeof o.repo !== 'string' || !UUID.test(o.repo))) bad('repo');
  const refs = o.refs as Record<string, unknown>;
  if (typeof refs !== 'object' || refs === null) bad('refs');
  for (const [ref, sha] of Object.entries(refs)) if (!REF.test(ref) || typeof sha !== 'string' || !OID.test(sha)) bad(`refs.${ref}`);
  const bundles: BundleEntry[] = [];
  const byPeer = o.bundles as Record<string, unknown>;
  if (typeof byPeer !== 'object' || byPeer === null) bad('bundles');
  for (const [peer, list] of Object.entries(byPeer)) {
    if (!HEX32.test(peer) || !Array.isArray(list)) bad(`bundles.${peer}`);
    for (const item of list as unknown[]) {
      const [id, size] = Array.isArray(item) ? (item as unknown[]) : [];
      if (typeof id !== 'string' || !HEX32.test(id) || !Number.isSafeInteger(size) || (size as number) <= 0) bad(`bundles.${peer}`);
      bundles.push({ id: id as string, size: size as number, peer });
    }
  }
  return {
    uuid, peer: o.peer as string, seq: o.seq as number, time: o.time as string, since: o.since as string,
    install: o.install as string, head: (o.head as string | null) ?? undefined, refs: refs as Record<string, string>, bundles,
    ...(typeof o.repo === 'string' ? { repo: o.repo } : {}),
  };
}
