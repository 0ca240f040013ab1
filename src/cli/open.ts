// Opening the repository a command works on, with the checks every command needs.
import { Annex, AnnexRepo, annexedFiles, unmatchedPaths } from '../annex/index.js';
import type { AnnexedFile } from '../annex/index.js';
import type { Output } from './output/output.js';

/** The initialised repository containing `cwd`. */
export async function openAnnex(cwd: string): Promise<Annex> {
  const repo = await AnnexRepo.open(cwd);
  const uuid = repo.requireInitialised();
  return new Annex(repo, uuid);
}

/** Runs `fn` on the initialised repository containing `cwd`, closing it (and its git processes) after. */
export async function withAnnex<T>(cwd: string, fn: (annex: Annex) => Promise<T>): Promise<T> {
  const annex = await openAnnex(cwd);
  try {
    return await fn(annex);
  } finally {
    annex.close();
  }
}

/**
 * The annexed files a query command works on: the branch first merged with other repositories' (as
 * git-annex does at the start of a command), then the files under the arguments, in argument order.
 */
export async function selectedFiles(annex: Annex, args: readonly string[], cwd: string, out: Output): Promise<{ paths: string[]; files: AnnexedFile[]; unmatched: number }> {
  await annex.branch.update();
  const paths = repoPaths(annex, args, cwd);
  const files = inArgumentOrder(await annexedFiles(annex, paths), paths);
  // An argument no annexed file came from may name nothing at all: say so, as git-annex (git) does.
  const empty = args.length === 0 ? [] : paths.filter((p, i) => !files.some((f) => argumentIndex(paths, f.path) === i));
  const unmatched = await unmatchedPaths(annex, empty);
  for (const p of unmatched) {
    out.warn(`error: pathspec '${args[paths.indexOf(p)] ?? p}' did not match any file(s) known to git`);
  }
  return { paths, files, unmatched: unmatched.length };
}

/** User path arguments as paths from the top of the work tree (none: the directory the user is in). */
export function repoPaths(annex: Annex, args: readonly string[], cwd: string): string[] {
  if (args.length === 0) return annex.repo.prefix === '' ? [] : [annex.repo.prefix];
  return args.map((a) => annex.repo.repoPath(a, cwd)).map((p) => (p === '' ? '.' : p));
}

/** The argument a file was found under, for git-annex's "input" JSON field. */
export function inputOf(args: readonly string[], repoArgs: readonly string[], path: string): string[] {
  const i = argumentIndex(repoArgs, path);
  return i >= 0 ? [args[i]!] : [];
}

/**
 * Files in the order git-annex reports them: argument by argument (a file under two arguments counts under
 * the first), in index order within one; the index alone would interleave the arguments.
 */
export function inArgumentOrder<T extends { readonly path: string }>(files: readonly T[], repoArgs: readonly string[]): T[] {
  const rank = (path: string) => {
    const i = argumentIndex(repoArgs, path);
    return i < 0 ? repoArgs.length : i;
  };
  return [...files].sort((a, b) => rank(a.path) - rank(b.path));
}

function argumentIndex(repoArgs: readonly string[], path: string): number {
  return repoArgs.findIndex((a) => a === '.' || path === a || path.startsWith(`${a}/`));
}
