// Every repository the git-annex branch knows, with its description, trust level and, where this
// repository has a git remote (or special remote) for it, that remote's name: what whereis and info show;
// and resolve(), which finds a repository by the name a user gives it, as git-annex's nameToUUID does.
import type { Annex } from '../annex.js';
import type { GitConfig } from '../config.js';
import { currentUuidValues, parseRemoteConfig, parseUuidLog } from '../branch/index.js';
import { AmbiguousRepositoryError, RemoteWithoutUuidError, UnknownRepositoryError } from '../policy/errors.js';

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

// trust.log values (§3.2). An empty value is trusted (the log once listed only trusted repositories) and
// any other single character semitrusted, as git-annex's trustLevelParser reads them.
const TRUST: Readonly<Record<string, TrustLevel>> = { '': 'trusted', '1': 'trusted', '0': 'untrusted', '?': 'semitrusted', X: 'dead' };

/** The names of this repository's remotes and their annex-uuid (undefined: git-annex has not seen it yet). */
interface RemoteName {
  readonly name: string;
  readonly uuid: string | undefined;
}

export class Repositories {
  private constructor(
    private readonly byUuid: ReadonlyMap<string, Repository>,
    readonly here: string,
    /** uuid.log's descriptions, plus this repository (described or not), as git-annex's uuidDescMap. */
    private readonly described: ReadonlyMap<string, string>,
    private readonly remotes: readonly RemoteName[],
    private readonly configs: ReadonlyMap<string, ReadonlyMap<string, string>>,
    private readonly gitConfig: GitConfig,
  ) {}

  static async load(annex: Annex): Promise<Repositories> {
    const logs = await annex.branch.getMany(['uuid.log', 'trust.log', 'remote.log']);
    const descriptions = currentUuidValues(parseUuidLog(logs.get('uuid.log') ?? ''));
    const trust = currentUuidValues(parseUuidLog(logs.get('trust.log') ?? '', isTrustLogValue));
    const special = currentUuidValues(parseUuidLog(logs.get('remote.log') ?? ''));
    const remoteNames = new Map<string, string>();
    const configs = new Map<string, ReadonlyMap<string, string>>();
    for (const [uuid, e] of special) {
      const remoteConfig = parseRemoteConfig(e.value);
      configs.set(uuid, remoteConfig);
      const name = remoteConfig.get('name');
      if (name) remoteNames.set(uuid, name);
    }
    const config = annex.repo.config;
    const remotes = new Map<string, string | undefined>();
    for (const key of config.keysWithPrefix('remote.')) {
      const m = /^remote\.(.+)\.(url|annex-uuid)$/.exec(key);
      if (!m) continue;
      const uuid = config.get(`remote.${m[1]!}.annex-uuid`);
      remotes.set(m[1]!, uuid);
      if (uuid !== undefined) remoteNames.set(uuid, m[1]!);
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
    const described = new Map([...descriptions].map(([u, e]) => [u, e.value]));
    if (!described.has(annex.uuid)) described.set(annex.uuid, '');
    // git-annex's remote list has the web and bittorrent special remotes besides the configured ones.
    const remoteList = [...[...remotes].map(([name, uuid]) => ({ name, uuid })), { name: 'web', uuid: WEB_UUID }, { name: 'bittorrent', uuid: BITTORRENT_UUID }];
    return new Repositories(byUuid, annex.uuid, described, remoteList, configs, config);
  }

  /**
   * The uuid of the repository a user names, as git-annex 10.20230126's nameToUUID finds it: `here` or
   * `.`; a remote (git remote, or web/bittorrent) by name or uuid; a unique description in uuid.log
   * (this repository's counts as "" until it is described); a uuid uuid.log knows. ferry also finds a
   * special remote that is not enabled here by its remote.log `name=` (git-annex finds those only by
   * description, which initremote sets to the name). Throws UnknownRepositoryError,
   * AmbiguousRepositoryError (several repositories with that description) or RemoteWithoutUuidError (a
   * git remote whose uuid is not known yet).
   */
  resolve(name: string): string {
    if (name === 'here' || name === '.') return this.here;
    const remote = name === '' ? undefined : this.remotes.find((r) => r.name === name || r.uuid === name);
    if (remote !== undefined) {
      if (remote.uuid === undefined) throw new RemoteWithoutUuidError(remote.name);
      return remote.uuid;
    }
    const byDescription = [...this.described].filter(([, d]) => d === name).map(([u]) => u);
    if (byDescription.length > 1) throw new AmbiguousRepositoryError(name, byDescription);
    if (byDescription.length === 1) return byDescription[0]!;
    if (this.described.has(name)) return name;
    const special = [...this.configs].filter(([, c]) => c.get('name') === name).map(([u]) => u);
    if (special.length > 1) throw new AmbiguousRepositoryError(name, special);
    if (special.length === 1) return special[0]!;
    throw new UnknownRepositoryError(name);
  }

  /**
   * The trust level `remote.NAME.annex-trustlevel` forces on a repository this one has as a remote,
   * whatever trust.log says (git-annex warns when a trust command is overridden by it).
   */
  trustOverride(uuid: string): TrustLevel | undefined {
    const remote = this.byUuid.get(uuid)?.remote;
    return remote === undefined ? undefined : parseTrust(this.gitConfig.get(`remote.${remote}.annex-trustlevel`));
  }

  /** A special remote's remote.log configuration (`type=`, `name=`, `preferreddir=`, ...), if it has one. */
  remoteConfig(uuid: string): ReadonlyMap<string, string> | undefined {
    return this.configs.get(uuid);
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

/** git-annex's trust.log parser takes one byte or none; other lines are kept verbatim, never read. */
export function isTrustLogValue(value: string): boolean {
  return value.length === 0 || (value.length === 1 && value.charCodeAt(0) < 0x80);
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
