// Opening the remotes a command may move content with: every git remote on a path and every special remote
// enabled here becomes a Remote; the others are listed with the reason they are skipped. Like git-annex, a
// remote's uuid is recorded in remote.NAME.annex-uuid, and a local repository with a git-annex branch but no
// uuid is initialised.
import { runGit } from '../git/index.js';
import type { Annex } from '../annex/index.js';
import { Annex as AnnexRepository, AnnexRepo, initRepo } from '../annex/index.js';
import { errorMessage } from '../util/index.js';
import { gitRemotes } from './git/git-remotes.js';
import { GitPathRemote } from './git/path-remote.js';
import type { Remote } from './remote.js';
import { openSpecialRemotes } from './special/open.js';

export interface SkippedRemote {
  readonly name: string;
  readonly reason: string;
}

export interface OpenedRemotes {
  /** In cost order. */
  readonly remotes: Remote[];
  readonly skipped: SkippedRemote[];
  close(): void;
}

export async function openRemotes(annex: Annex, only?: readonly string[]): Promise<OpenedRemotes> {
  const remotes: Remote[] = [];
  const skipped: SkippedRemote[] = [];
  for (const r of gitRemotes(annex)) {
    if (only && !only.includes(r.name)) continue;
    if (r.skip !== undefined || r.path === undefined) {
      skipped.push({ name: r.name, reason: r.skip ?? 'not a local path' });
      continue;
    }
    try {
      const repo = await AnnexRepo.open(r.path);
      let uuid = repo.uuid;
      if (uuid === undefined) {
        const hasBranch = (await runGit(repo.git, ['rev-parse', '-q', '--verify', 'refs/heads/git-annex'], { okCodes: [1] })).code === 0;
        if (!hasBranch) {
          repo.close();
          skipped.push({ name: r.name, reason: 'not a git-annex repository' });
          continue;
        }
        uuid = (await initRepo(repo)).uuid;
      }
      if (r.uuid !== uuid) await runGit({ cwd: annex.repo.git.cwd }, ['config', `remote.${r.name}.annex-uuid`, uuid]);
      remotes.push(new GitPathRemote(r.name, r.cost, new AnnexRepository(repo, uuid), annex));
    } catch (err) {
      skipped.push({ name: r.name, reason: `not available: ${errorMessage(err)}` });
    }
  }
  const special = await openSpecialRemotes(annex, only);
  remotes.push(...special.remotes);
  skipped.push(...special.skipped);
  // In cost order, equal costs by name (git-annex's order).
  remotes.sort((a, b) => a.cost - b.cost || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { remotes, skipped, close: () => { for (const r of remotes) r.close(); } };
}
