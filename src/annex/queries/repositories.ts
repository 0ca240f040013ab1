// Every repository the git-annex branch knows, with its description, trust level and, where this
// repository has a git remote (or special remote) for it, that remote's name: what whereis and info show.
import type { Annex } from '../annex.js';
import { currentUuidValues, parseRemoteConfig, parseUuidLog } from '../branch/index.js';

export type TrustLevel = 'trusted' | 'semitrusted' | 'untrusted' | 'dead';

export interface Repository {
  readonly uuid: string;
  readonly description: string;
  readonly trust: TrustLevel;
  /** The git remote or special remote name this repository is known by here. */
  readonly remote: string | undefined;
  readonly here: boolean;
  /**
   * How git-annex names the repository in listings and in --json `description` fields: the description
   * with ` [remote]` appended, or only `[remote]` when the description is empty or equals the remote name.
   */
  readonly label: string;
}

export const WEB_UUID = '00000000-0000-0000-0000-000000000001';
export const BITTORRENT_UUID = '00000000-0000-0000-0000-000000000002';

const TRUST: Readonly<Record<string, TrustLevel>> = { '1': 'trusted', '0': 'untrusted', '?': 'semitrusted', X: 'dead' };

export class Repositories {
  private constructor(private readonly byUuid: ReadonlyMap<string, Repository>, readonly here: string) {}

  static async load(annex: Annex): Promise<Repositories> {
    const logs = await annex.branch.getMany(['uuid.log', 'trust.log', 'remote.log']);
    const descriptions = currentUuidValues(parseUuidLog(logs.get('uuid.log') ?? ''));
    const trust = currentUuidValues(parseUuidLog(logs.get('trust.log') ?? '', (v) => v.length === 1));
    const special = currentUuidValues(parseUuidLog(logs.get('remote.log') ?? ''));
    const remoteNames = new Map<string, string>();
    for (const [uuid, e] of special) {
      const name = parseRemoteConfig(e.value).get('name');
      if (name) remoteNames.set(uuid, name);
    }
    const config = annex.repo.config;
    for (const key of config.keysWithPrefix('remote.')) {
      const m = /^remote\.(.+)\.annex-uuid$/.exec(key);
      if (m) remoteNames.set(config.get(key)!, m[1]!);
    }
    const uuids = new Set([WEB_UUID, BITTORRENT_UUID, annex.uuid, ...descriptions.keys(), ...trust.keys(), ...special.keys()]);
    const byUuid = new Map<string, Repository>();
    for (const uuid of uuids) {
      const remote = remoteNames.get(uuid);
      const configured = remote ? config.get(`remote.${remote}.annex-trustlevel`) : undefined;
      const description = descriptions.get(uuid)?.value
        ?? (uuid === WEB_UUID ? 'web' : uuid === BITTORRENT_UUID ? 'bittorrent' : '');
      byUuid.set(uuid, {
        uuid,
        description,
        trust: parseTrust(configured) ?? TRUST[trust.get(uuid)?.value ?? '?'] ?? 'semitrusted',
        remote,
        here: uuid === annex.uuid,
        label: uuid === annex.uuid ? description : labelOf(description, remote),
      });
    }
    return new Repositories(byUuid, annex.uuid);
  }

  get(uuid: string): Repository {
    return this.byUuid.get(uuid) ?? { uuid, description: '', trust: 'semitrusted', remote: undefined, here: uuid === this.here, label: '' };
  }

  all(): Repository[] {
    return [...this.byUuid.values()].sort((a, b) => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0));
  }

  /** git-annex's one-line form: "UUID -- LABEL", plus " [here]" for this repository. */
  describe(uuid: string): string {
    const r = this.get(uuid);
    return `${uuid} -- ${r.label}${r.here ? ' [here]' : ''}`;
  }
}

function labelOf(description: string, remote: string | undefined): string {
  if (remote === undefined) return description;
  return description === '' || description === remote ? `[${remote}]` : `${description} [${remote}]`;
}

function parseTrust(value: string | undefined): TrustLevel | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  return v === 'trusted' || v === 'semitrusted' || v === 'untrusted' || v === 'dead' ? v : undefined;
}
