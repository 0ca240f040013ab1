// One repository's view of everyone's policy, loaded once per command: preferred and required content,
// groups, group expressions, trust, numcopies and mincopies (git-annex-preferred-content(1),
// git-annex-numcopies(1)). Answers get/copy questions (wantsToHave) and drop questions (wantsToKeep,
// mustKeep) exactly as git-annex 10.20230126 does; preferred-content.ts lists the term semantics.
import type { Annex } from '../annex.js';
import { NumCopies } from '../queries/numcopies.js';
import type { CopiesOverrides } from '../queries/numcopies.js';
import { Repositories } from '../queries/repositories.js';
import type { TrustLevel } from '../queries/repositories.js';
import { repositoryMatcher } from './compile.js';
import type { Matcher } from './compile.js';
import type { PolicyProbes, PolicySettings } from './policy-facts.js';
import { groupValues, groupWantedValues, uuidValues } from './policy-logs.js';
import { matches } from './preferred-content.js';
import type { MatchContext, PolicyItem } from './preferred-content.js';
import { annexProbes } from './probes.js';

export interface AskOptions {
  /**
   * Evaluate as if the repository asked about had already dropped the content: how git-annex decides a
   * drop (copies=, lackingcopies=, inallgroup= do not count its copy; `present` still does).
   */
  readonly assumeAbsent?: boolean;
}

export class Policy {
  private readonly matchers = new Map<string, { wanted: Matcher | undefined; required: Matcher | undefined }>();
  private readonly members = new Map<string, Set<string>>();
  private readonly context: MatchContext;

  constructor(private readonly settings: PolicySettings, private readonly probes: PolicyProbes) {
    for (const [uuid, groups] of settings.groups) {
      for (const g of groups) this.members.set(g, (this.members.get(g) ?? new Set()).add(uuid));
    }
    this.context = {
      here: settings.here,
      trust: (u) => settings.trust(u),
      members: (g) => this.members.get(g) ?? new Set(),
      preferredDir: (u) => settings.remoteConfig(u)?.get('preferreddir') ?? 'public',
      hasContentHere: (k) => probes.hasContentHere(k),
      globalNumCopies: (p) => probes.copies.globalForFile(p),
      metadata: (k) => probes.metadata(k),
      isUnused: (k) => probes.isUnused(k),
    };
  }

  /** Reads every settings log once. `overrides` are the command line's --numcopies/--mincopies. */
  static async load(annex: Annex, overrides: CopiesOverrides = {}, repositories?: Repositories): Promise<Policy> {
    const [logs, repos, copies] = await Promise.all([
      annex.branch.getMany(['preferred-content.log', 'required-content.log', 'group.log', 'group-preferred-content.log']),
      repositories ?? Repositories.load(annex),
      NumCopies.load(annex, overrides),
    ]);
    const settings: PolicySettings = {
      here: annex.uuid,
      preferred: uuidValues(logs.get('preferred-content.log') ?? ''),
      required: uuidValues(logs.get('required-content.log') ?? ''),
      groups: groupValues(logs.get('group.log') ?? ''),
      groupWanted: groupWantedValues(logs.get('group-preferred-content.log') ?? ''),
      trust: (u) => repos.get(u).trust,
      remoteConfig: (u) => repos.remoteConfig(u),
    };
    return new Policy(settings, annexProbes(annex, copies));
  }

  get here(): string {
    return this.settings.here;
  }

  /**
   * Whether `uuid` wants `item`: its preferred content OR its required content (git-annex combines
   * them). Undefined when neither is set, or what is set is empty (`wanted REPO ""`). An expression that
   * does not parse is evaluated as `present`, as git-annex does.
   */
  async wanted(uuid: string, item: PolicyItem, opts: AskOptions = {}): Promise<boolean | undefined> {
    const m = this.matcherOf(uuid).wanted;
    return m === undefined ? undefined : matches(m, uuid, item, this.context, opts.assumeAbsent ? uuid : undefined);
  }

  /** Whether `uuid`'s required content matches `item`; undefined when it has none. */
  async required(uuid: string, item: PolicyItem, opts: AskOptions = {}): Promise<boolean | undefined> {
    const m = this.matcherOf(uuid).required;
    return m === undefined ? undefined : matches(m, uuid, item, this.context, opts.assumeAbsent ? uuid : undefined);
  }

  /**
   * get/copy --auto: does `uuid` want the content? false when it has no preferred content (git-annex's
   * `get --auto` then still gets what numcopies needs: callers check that separately).
   */
  async wantsToHave(uuid: string, item: PolicyItem): Promise<boolean> {
    return (await this.wanted(uuid, item)) ?? false;
  }

  /**
   * drop --auto: would `uuid` still want the content after dropping it? When false it may drop (if
   * numcopies/mincopies allow). false for a repository with no preferred content, so `drop --auto`
   * drops whatever numcopies allows, as git-annex does.
   */
  async wantsToKeep(uuid: string, item: PolicyItem): Promise<boolean> {
    return (await this.wanted(uuid, item, { assumeAbsent: true })) ?? false;
  }

  /** Any drop (even without --auto): true means required content forbids dropping from `uuid`. */
  async mustKeep(uuid: string, item: PolicyItem): Promise<boolean> {
    return (await this.required(uuid, item, { assumeAbsent: true })) ?? false;
  }

  /** Whether `uuid` has preferred (or required) content configured; see wanted(). */
  isDefined(uuid: string): boolean {
    return this.matcherOf(uuid).wanted !== undefined;
  }

  /** The logged expressions, as `git annex wanted/required/groupwanted` print them (undefined: never set). */
  preferredExpression(uuid: string): string | undefined {
    return this.settings.preferred.get(uuid);
  }

  requiredExpression(uuid: string): string | undefined {
    return this.settings.required.get(uuid);
  }

  groupWantedExpression(group: string): string | undefined {
    return this.settings.groupWanted.get(group);
  }

  groups(uuid: string): ReadonlySet<string> {
    return this.settings.groups.get(uuid) ?? new Set();
  }

  trust(uuid: string): TrustLevel {
    return this.settings.trust(uuid);
  }

  /** The numcopies a get or drop of `item` must respect (--numcopies, attribute, log, git config, 1). */
  numcopies(item: Pick<PolicyItem, 'path'>): Promise<number> {
    return this.probes.copies.forFile(item.path);
  }

  /** The mincopies of `item` (--mincopies, attribute, log, 1). */
  mincopies(item: Pick<PolicyItem, 'path'>): Promise<number> {
    return this.probes.copies.minForFile(item.path);
  }

  /** Stops the git processes the lookups started. */
  close(): void {
    this.probes.close();
  }

  private matcherOf(uuid: string): { wanted: Matcher | undefined; required: Matcher | undefined } {
    let m = this.matchers.get(uuid);
    if (m === undefined) {
      const { preferred, required, groupWanted } = this.settings;
      const groups = this.groups(uuid);
      m = {
        wanted: repositoryMatcher([preferred.get(uuid), required.get(uuid)], groups, groupWanted),
        required: repositoryMatcher([required.get(uuid)], groups, groupWanted),
      };
      this.matchers.set(uuid, m);
    }
    return m;
  }
}
