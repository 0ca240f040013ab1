// The special remotes enabled in this clone: a git config `remote.NAME` section with an annex-uuid and no
// url whose uuid remote.log describes. Each becomes a SpecialRemote over its type's Store, wrapped once here
// (retries for transient errors, a concurrency limit) — the one wrapStore call site (STYLE 4).
import type { Annex } from '../../annex/index.js';
import { SharedCipher } from '../../crypto/index.js';
import { FerryError, errorMessage } from '../../util/index.js';
import type { Remote } from '../remote.js';
import { wrapStore } from '../store/index.js';
import type { Store, WrapOptions } from '../store/index.js';
import { contentCipher } from './cipher.js';
import { chunkSizeOf } from './config.js';
import { UnknownSpecialRemoteError, specialRemoteRecords } from './remote-log.js';
import { SpecialRemote } from './special-remote.js';
import { specialType, specialTypeNames } from './types/registry.js';
import type { SpecialType, TypeContext } from './types/type.js';

/**
 * Test hook: FERRY_TEST_STORE_FAULTS=SEED:RATE injects faults into every special remote's store under the
 * retry layer (errors, delays and truncated reads each at RATE, silently corrupted reads at RATE/4), so tests
 * can prove transfers survive hostile storage end to end. Off unless set.
 */
function testFaults(): WrapOptions {
  const spec = process.env.FERRY_TEST_STORE_FAULTS;
  if (!spec) return {};
  const [seed, rate] = spec.split(':').map(Number);
  if (!Number.isFinite(seed) || !Number.isFinite(rate)) return {};
  return {
    faults: { seed: seed!, errorRate: rate!, delayRate: rate!, maxDelayMs: 20, truncateRate: rate!, corruptRate: rate! / 4 },
    retry: { attempts: 8, baseDelayMs: 5, maxDelayMs: 50 },
  };
}

/** git-annex's encryptedRemoteCostAdj: an encrypted remote costs this much more than a plain one. */
const ENCRYPTED_COST = 50;

export interface EnabledSpecial {
  readonly name: string;
  readonly uuid: string;
}

/** The special remotes enabled here (git config), by name; `only` limits them to those names. */
export function enabledSpecialRemotes(annex: Annex): EnabledSpecial[] {
  const config = annex.repo.config;
  const out: EnabledSpecial[] = [];
  for (const key of config.keysWithPrefix('remote.')) {
    const name = /^remote\.(.+)\.annex-uuid$/.exec(key)?.[1];
    if (name === undefined || config.get(`remote.${name}.url`) !== undefined) continue;
    out.push({ name, uuid: config.get(key)! });
  }
  return out;
}

export async function openSpecialRemotes(annex: Annex, only?: readonly string[]): Promise<{ remotes: Remote[]; skipped: { name: string; reason: string }[] }> {
  const enabled = enabledSpecialRemotes(annex).filter((e) => !only || only.includes(e.name));
  const remotes: Remote[] = [];
  const skipped: { name: string; reason: string }[] = [];
  if (enabled.length === 0) return { remotes, skipped };
  const records = new Map((await specialRemoteRecords(annex)).map((r) => [r.uuid, r.config]));
  const gitConfig = annex.repo.config;
  for (const { name, uuid } of enabled) {
    if (gitConfig.bool(`remote.${name}.annex-ignore`, false)) {
      skipped.push({ name, reason: 'annex-ignore is set' });
      continue;
    }
    const stored = records.get(uuid);
    const type = stored && specialType(stored.get('type') ?? '');
    if (!stored || !type) {
      skipped.push({ name, reason: stored ? `type=${stored.get('type') ?? '?'} is not supported yet` : 'not in remote.log (was it made in another clone that has not synced?)' });
      continue;
    }
    try {
      const config = withLocalParams(annex, name, type, stored);
      const cipher = contentCipher(config);
      const store = await openTypeStore(type, { name, uuid, gitDir: annex.repo.gitDir, config });
      const cost = specialRemoteCost(annex, name, type, cipher !== undefined);
      remotes.push(new SpecialRemote({ name, uuid, cost, store, layout: type.layout, chunkSize: chunkSizeOf(config), cipher }, annex));
    } catch (err) {
      skipped.push({ name, reason: `not available: ${errorMessage(err)}` });
    }
  }
  return { remotes, skipped };
}

/** remote.log's parameters with this clone's local ones (remote.NAME.annex-PARAM, e.g. a directory's path). */
function withLocalParams(annex: Annex, name: string, type: SpecialType, stored: ReadonlyMap<string, string>): Map<string, string> {
  const config = new Map(stored);
  for (const spec of type.params) {
    const local = annex.repo.config.get(`remote.${name}.annex-${spec.name}`);
    if (spec.local && local !== undefined) config.set(spec.name, local);
  }
  return config;
}

/** A type's Store for a remote, wrapped as every special remote's is (retries, limits, test faults). */
export async function openTypeStore(type: SpecialType, ctx: TypeContext): Promise<Store> {
  return wrapStore(await type.openStore(ctx), testFaults());
}

export interface SpecialStore {
  /** The git remote that enables it here, if any. */
  readonly name: string | undefined;
  readonly uuid: string;
  readonly config: ReadonlyMap<string, string>;
  readonly store: Store;
  /** The shared cipher's text (encryption=shared), undefined for encryption=none. Never printed. */
  readonly secret: Buffer | undefined;
}

/**
 * The Store of special remote `what` and its secret, for cloudgit: `what` is a git remote that enables a
 * special remote here, else a remote.log name=, else a uuid (docs/cloudgit-format.md "URLs").
 */
export async function openSpecialStore(annex: Annex, what: string): Promise<SpecialStore> {
  const gitConfig = annex.repo.config;
  const enabledUuid = gitConfig.get(`remote.${what}.url`) === undefined ? gitConfig.get(`remote.${what}.annex-uuid`) : undefined;
  const records = await specialRemoteRecords(annex);
  const record = (enabledUuid !== undefined ? records.find((r) => r.uuid === enabledUuid) : undefined)
    ?? records.find((r) => r.config.get('name') === what) ?? records.find((r) => r.uuid === what);
  if (!record) throw new UnknownSpecialRemoteError(what, records.map((r) => r.config.get('name')).filter((n): n is string => n !== undefined));
  const name = enabledUuid !== undefined ? what : enabledSpecialRemotes(annex).find((e) => e.uuid === record.uuid)?.name;
  const type = specialType(record.config.get('type') ?? '');
  if (!type) {
    throw new FerryError(`special remote ${what} has type=${record.config.get('type') ?? '?'}, which ferry does not support yet`, {
      data: { remote: what }, hint: `ferry supports ${specialTypeNames().join(', ')}`,
    });
  }
  const config = name === undefined ? new Map(record.config) : withLocalParams(annex, name, type, record.config);
  const encryption = config.get('encryption') ?? 'none';
  if (encryption !== 'none' && encryption !== 'shared') contentCipher(config); // throws the "not supported" error
  const secret = encryption === 'shared' ? SharedCipher.fromRemoteLog(config.get('cipher') ?? '').keyMaterial() : undefined;
  const store = await openTypeStore(type, { name: name ?? what, uuid: record.uuid, gitDir: annex.repo.gitDir, config });
  return { name, uuid: record.uuid, config, store, secret };
}

/** remote.NAME.annex-cost, else git-annex's cost for the type, +50 when encrypted. */
export function specialRemoteCost(annex: Annex, name: string, type: SpecialType, encrypted: boolean): number {
  const text = annex.repo.config.get(`remote.${name}.annex-cost`);
  if (text !== undefined && text.trim() !== '' && Number.isFinite(Number(text))) return Number(text);
  return type.baseCost + (encrypted ? ENCRYPTED_COST : 0);
}
