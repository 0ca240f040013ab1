// How many copies of each file must exist (git-annex's Annex/NumCopies.hs, 10.20230126):
//   numcopies: --numcopies, then the file's .gitattributes annex.numcopies, then numcopies.log in the
//              branch (`git annex numcopies N`), then the deprecated git config annex.numcopies, then 1;
//   mincopies: --mincopies, then annex.mincopies, then mincopies.log, then 1 (no git config).
// Every source goes through git-annex's smart constructor: a value below 1 counts as 1. Numbers are read
// as git-annex reads them (readishInt: "3x" is 3).
import { CheckAttr } from '../../git/index.js';
import type { Annex } from '../annex.js';
import { currentSingleValue, parseSingleValueLog } from '../branch/index.js';
import { readishInt } from '../policy/readish.js';

export interface CopiesOverrides {
  /** --numcopies */
  readonly numcopies?: number;
  /** --mincopies */
  readonly mincopies?: number;
}

/** A configured count as git-annex keeps it: at least 1 (configuredNumCopies). */
function configured(n: number | undefined): number | undefined {
  return n === undefined ? undefined : Math.max(1, n);
}

/** The value in effect of numcopies.log or mincopies.log text; undefined when unset. */
export function loggedCopies(text: string): number | undefined {
  const current = currentSingleValue(parseSingleValueLog(text, (v) => readishInt(v) !== undefined));
  return configured(current === undefined ? undefined : readishInt(current.value));
}

export class NumCopies {
  private readonly attrs: CheckAttr;
  private readonly overrides: CopiesOverrides;

  private constructor(
    annex: Annex,
    overrides: number | CopiesOverrides | undefined,
    /** numcopies.log's value, undefined when `git annex numcopies` was never set. */
    readonly logged: number | undefined,
    /** mincopies.log's value. */
    readonly loggedMin: number | undefined,
    /** The deprecated git config annex.numcopies of this repository. */
    readonly deprecated: number | undefined,
  ) {
    this.attrs = new CheckAttr(annex.repo.git, ['annex.numcopies', 'annex.mincopies']);
    this.overrides = typeof overrides === 'number' ? { numcopies: overrides } : overrides ?? {};
  }

  /** Reads the logs and git config once; `overrides` are the command line's (a number: --numcopies). */
  static async load(annex: Annex, overrides?: number | CopiesOverrides): Promise<NumCopies> {
    const logs = await annex.branch.getMany(['numcopies.log', 'mincopies.log']);
    const config = annex.repo.config.get('annex.numcopies');
    return new NumCopies(
      annex, overrides, loggedCopies(logs.get('numcopies.log') ?? ''), loggedCopies(logs.get('mincopies.log') ?? ''),
      configured(config === undefined ? undefined : readishInt(config)),
    );
  }

  /** The numcopies a drop or get decision uses for `path` (undefined: a key without a file). */
  async forFile(path: string | undefined): Promise<number> {
    const forced = configured(this.overrides.numcopies);
    if (forced !== undefined) return forced;
    return (await this.attribute(path, 'annex.numcopies')) ?? this.logged ?? this.deprecated ?? 1;
  }

  /** The mincopies for `path`: --mincopies, annex.mincopies, mincopies.log, 1. */
  async minForFile(path: string | undefined): Promise<number> {
    const forced = configured(this.overrides.mincopies);
    if (forced !== undefined) return forced;
    return (await this.attribute(path, 'annex.mincopies')) ?? this.loggedMin ?? 1;
  }

  /**
   * The globally visible numcopies of `path`, without command-line or git-config overrides
   * (git-annex's getGlobalFileNumCopies): what `lackingcopies=` compares with.
   */
  async globalForFile(path: string | undefined): Promise<number> {
    return (await this.attribute(path, 'annex.numcopies')) ?? this.logged ?? 1;
  }

  private async attribute(path: string | undefined, name: string): Promise<number | undefined> {
    if (path === undefined) return undefined;
    const value = (await this.attrs.get(path)).get(name);
    return configured(value === undefined ? undefined : readishInt(value));
  }

  close(): void {
    this.attrs.close();
  }
}
