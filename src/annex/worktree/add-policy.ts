// Which files are large (annexed) and which are added unlocked, decided as git-annex decides it for
// `git annex add` and for its clean filter: annex.dotfiles, then annex.largefiles from git config, else the
// path's .gitattributes, else the branch's config.log; annex.addunlocked (a boolean or an expression).
import type { Annex } from '../annex.js';
import { currentConfigValue } from '../branch/index.js';
import { FileMatcher } from '../policy/file-matcher.js';
import type { FileInfo } from '../policy/file-matcher.js';

const TRUE = ['true', 'yes', 'on', '1'];
const FALSE = ['false', 'no', 'off', '0', ''];

export class AddPolicy {
  private readonly attrMatchers = new Map<string, FileMatcher>();

  private constructor(
    private readonly dotfiles: boolean,
    private readonly largefiles: FileMatcher | undefined,
    private readonly branchLargefiles: FileMatcher | undefined,
    private readonly unlocked: (f: FileInfo) => boolean,
  ) {}

  static async load(annex: Annex): Promise<AddPolicy> {
    const config = annex.repo.config;
    const configLog = await annex.branch.get('config.log');
    const setting = (name: string) => config.get(name) ?? currentConfigValue(configLog, name);
    const largefiles = config.get('annex.largefiles');
    const branchLargefiles = currentConfigValue(configLog, 'annex.largefiles');
    const dotfiles = setting('annex.dotfiles');
    const addUnlocked = setting('annex.addunlocked')?.trim();
    let unlocked: (f: FileInfo) => boolean = () => false;
    if (addUnlocked !== undefined && TRUE.includes(addUnlocked.toLowerCase())) unlocked = () => true;
    else if (addUnlocked !== undefined && !FALSE.includes(addUnlocked.toLowerCase())) {
      const m = FileMatcher.parse(addUnlocked);
      unlocked = (f) => m.matches(f);
    }
    return new AddPolicy(
      dotfiles !== undefined && TRUE.includes(dotfiles.toLowerCase()),
      largefiles ? FileMatcher.parse(largefiles) : undefined,
      branchLargefiles ? FileMatcher.parse(branchLargefiles) : undefined,
      unlocked,
    );
  }

  /** Whether annex.largefiles (or the lack of it) says `f` is large; attrLargefiles is its .gitattributes value. */
  isLarge(f: FileInfo, attrLargefiles: string | undefined): boolean {
    if (!this.dotfiles && isDotfile(f.path)) return false;
    const matcher = this.largefiles ?? (attrLargefiles ? this.attrMatcher(attrLargefiles) : this.branchLargefiles);
    return matcher === undefined || matcher.matches(f);
  }

  /** Whether any annex.largefiles applies to `f` at all (the clean filter annexes new files only then). */
  hasLargefiles(attrLargefiles: string | undefined): boolean {
    return this.largefiles !== undefined || attrLargefiles !== undefined || this.branchLargefiles !== undefined;
  }

  addUnlocked(f: FileInfo): boolean {
    return this.unlocked(f);
  }

  private attrMatcher(expr: string): FileMatcher {
    let m = this.attrMatchers.get(expr);
    if (!m) {
      m = FileMatcher.parse(expr);
      this.attrMatchers.set(expr, m);
    }
    return m;
  }
}

/** A dotfile is any path with a component starting with '.', as git-annex counts them. */
export function isDotfile(path: string): boolean {
  return path.split('/').some((c) => c.startsWith('.'));
}
