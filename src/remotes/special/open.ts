// The special remotes enabled in this clone: a git config `remote.NAME` section with an annex-uuid and no
// url whose uuid remote.log describes. Each becomes a SpecialRemote over its type's Store, wrapped once here
// (retries for transient errors, a concurrency limit) — the one wrapStore call site (STYLE 4).
import type { Annex } from '../../annex/index.js';
import { errorMessage } from '../../util/index.js';
import type { Remote } from '../remote.js';
import { wrapStore } from '../store/index.js';
import type { WrapOptions } from '../store/index.js';
import { contentCipher } from './cipher.js';
import { chunkSizeOf } from './config.js';
import { specialRemoteRecords } from './remote-log.js';
import { SpecialRemote } from './special-remote.js';
import { specialType } from './types/registry.js';
import type { SpecialType } from './types/type.js';

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
      const config = new Map(stored);
      for (const spec of type.params) {
        const local = gitConfig.get(`remote.${name}.annex-${spec.name}`);
        if (spec.local && local !== undefined) config.set(spec.name, local);
      }
      const cipher = contentCipher(config);
      const store = wrapStore(await type.openStore({ name, uuid, gitDir: annex.repo.gitDir, config }), testFaults());
      const cost = specialRemoteCost(annex, name, type, cipher !== undefined);
      remotes.push(new SpecialRemote({ name, uuid, cost, store, layout: type.layout, chunkSize: chunkSizeOf(config), cipher }, annex));
    } catch (err) {
      skipped.push({ name, reason: `not available: ${errorMessage(err)}` });
    }
  }
  return { remotes, skipped };
}

/** remote.NAME.annex-cost, else git-annex's cost for the type, +50 when encrypted. */
export function specialRemoteCost(annex: Annex, name: string, type: SpecialType, encrypted: boolean): number {
  const text = annex.repo.config.get(`remote.${name}.annex-cost`);
  if (text !== undefined && text.trim() !== '' && Number.isFinite(Number(text))) return Number(text);
  return type.baseCost + (encrypted ? ENCRYPTED_COST : 0);
}
