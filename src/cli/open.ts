// Opening the repository a command works on, with the checks every command needs.
import { Annex, AnnexRepo } from '../annex/index.js';

/** The initialised repository containing `cwd`. */
export async function openAnnex(cwd: string): Promise<Annex> {
  const repo = await AnnexRepo.open(cwd);
  const uuid = repo.requireInitialised();
  return new Annex(repo, uuid);
}

/** User path arguments as paths from the top of the work tree (none: the directory the user is in). */
export function repoPaths(annex: Annex, args: readonly string[], cwd: string): string[] {
  if (args.length === 0) return annex.repo.prefix === '' ? [] : [annex.repo.prefix];
  return args.map((a) => annex.repo.repoPath(a, cwd)).map((p) => (p === '' ? '.' : p));
}

/** The argument a file was found under, for git-annex's "input" JSON field. */
export function inputOf(args: readonly string[], repoArgs: readonly string[], path: string): string[] {
  const i = repoArgs.findIndex((a) => a === '.' || path === a || path.startsWith(`${a}/`));
  return i >= 0 ? [args[i]!] : [];
}
