// A repository as ferry sees it: where it is, its config, and the git environment every command in it uses.
// Opening costs two git processes (rev-parse, config -l); everything else is created when first needed.
import { accessSync, constants } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CatFile, GitError, NotAGitRepositoryError, runGit } from '../git/index.js';
import type { GitEnv } from '../git/index.js';
import { GitConfig } from './config.js';
import { NoWorkTreeError, NotInitialisedError, PathOutsideRepoError, UnsupportedVersionError } from './errors.js';
import { AnnexLayout } from './layout.js';
import { EVERY_UPDATE_HOOKS, ferryCommandLine, ferryHooksDir, ferryLeanHooksDir } from './self.js';

export const SUPPORTED_VERSION = '10';

export class AnnexRepo {
  readonly layout: AnnexLayout;
  readonly git: GitEnv;
  private cat: CatFile | undefined;

  private constructor(
    /** Top of the work tree; undefined in a bare repository. */
    readonly top: string | undefined,
    readonly gitDir: string,
    /** Where the command was started, relative to `top` ('' at the top). */
    readonly prefix: string,
    public config: GitConfig,
  ) {
    this.layout = new AnnexLayout(gitDir, top === undefined);
    const userHooks = userHooksDir(config, top ?? gitDir, gitDir);
    // Without a user hook to hand them to, the hooks git runs on every ref or index update need not run.
    const lean = !EVERY_UPDATE_HOOKS.some((h) => isExecutable(join(userHooks, h)));
    this.git = {
      cwd: top ?? gitDir,
      configArgs: ferryGitConfigArgs(lean ? ferryLeanHooksDir : ferryHooksDir),
      env: {
        FERRY_USER_HOOKS: userHooks,
        FERRY_NODE: process.execPath,
      },
    };
  }

  /** The git repository containing `cwd` (initialised for annex or not). */
  static async open(cwd: string = process.cwd()): Promise<AnnexRepo> {
    let lines: string[];
    try {
      const { stdout } = await runGit({ cwd }, ['rev-parse', '--absolute-git-dir', '--is-bare-repository', '--show-prefix']);
      lines = stdout.toString('utf8').split('\n');
    } catch (err) {
      if (err instanceof GitError && /not a git repository/i.test(err.stderr)) throw new NotAGitRepositoryError(cwd);
      throw err;
    }
    const [gitDir = '', bare, prefix = ''] = lines;
    const top = bare === 'true' ? undefined : resolve(cwd, relativeUp(prefix));
    const config = await GitConfig.load({ cwd: top ?? gitDir });
    return new AnnexRepo(top, gitDir, prefix.replace(/\/$/, ''), config);
  }

  get bare(): boolean {
    return this.top === undefined;
  }

  get uuid(): string | undefined {
    return this.config.get('annex.uuid');
  }

  /** Throws unless `ferry init` (or `git annex init`) has run here, at a version ferry understands. */
  requireInitialised(): string {
    const uuid = this.uuid;
    if (!uuid) throw new NotInitialisedError(this.top ?? this.gitDir);
    const version = this.config.get('annex.version');
    if (version !== undefined && version !== SUPPORTED_VERSION) throw new UnsupportedVersionError(version);
    return uuid;
  }

  requireWorkTree(): string {
    if (this.top === undefined) throw new NoWorkTreeError(this.gitDir);
    return this.top;
  }

  /** Sets `key` in the repository's git config (the loaded `config` is not reloaded). */
  async setConfig(key: string, value: string): Promise<void> {
    await runGit({ cwd: this.git.cwd }, ['config', key, value]);
  }

  async reloadConfig(): Promise<void> {
    this.config = await GitConfig.load({ cwd: this.git.cwd });
  }

  /** The long-lived `git cat-file --batch` of this command. */
  get catFile(): CatFile {
    this.cat ??= new CatFile(this.git);
    return this.cat;
  }

  /** A path the user typed (relative to where they are) as a path relative to the top, '/'-separated. */
  repoPath(userPath: string, cwd: string = process.cwd()): string {
    const top = this.requireWorkTree();
    const abs = isAbsolute(userPath) ? userPath : resolve(cwd, userPath);
    const rel = relative(top, abs);
    if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw new PathOutsideRepoError(userPath, top);
    return rel.split(sep).join('/');
  }

  /** Absolute path of a repository-relative path. */
  absPath(repoPath: string): string {
    return join(this.requireWorkTree(), repoPath);
  }

  /** A path relative to the top, shown relative to where the user is (as git-annex prints them). */
  displayPath(repoPath: string): string {
    if (this.prefix === '') return repoPath;
    return relative(this.prefix, repoPath) || '.';
  }

  close(): void {
    this.cat?.close();
    this.cat = undefined;
  }
}

function relativeUp(prefix: string): string {
  const depth = prefix.split('/').filter(Boolean).length;
  return depth === 0 ? '.' : Array.from({ length: depth }, () => '..').join('/');
}

/**
 * The -c settings on every git command ferry runs: ferry's own filter (whatever the repository's config
 * names, so ferry never starts git-annex) and ferry's hooks directory, whose hooks run ferry's part and
 * then the user's own hooks (docs/NOTES.md "ferry and git-annex in one repository").
 */
function ferryGitConfigArgs(hooksDir: string): string[] {
  return [
    '-c', `filter.annex.process=${ferryCommandLine('filter-process')}`,
    '-c', `filter.annex.smudge=${ferryCommandLine('smudge')} -- %f`,
    '-c', `filter.annex.clean=${ferryCommandLine('smudge', '--clean')} -- %f`,
    // Should the filter die (killed with ferry), git must fail rather than commit or stage a file's content itself.
    '-c', 'filter.annex.required=true',
    '-c', `core.hooksPath=${hooksDir}`,
  ];
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false; // absent or not executable: git would not run it either
  }
}

/** Where the user's own hooks are: core.hooksPath if set (relative to where hooks run), else .git/hooks. */
function userHooksDir(config: GitConfig, runDir: string, gitDir: string): string {
  const configured = config.get('core.hooksPath');
  if (configured === undefined || configured === '') return join(gitDir, 'hooks');
  return resolve(runDir, configured.replace(/^~(?=\/)/, process.env.HOME ?? '~'));
}
