// .git/annex/index, the index git-annex builds git-annex branch commits in, kept in step with the branch the
// way git-annex keeps it (annex-format.md §3.5): index.lck holds the branch commit the index was last synced
// to, and when the branch has moved on, the branch is union-merged into the index before anything is staged.
// Keeping it in step matters: a stale index makes git-annex resurrect lines on its next commit (pitfall 6).
import { access, readFile, rm } from 'node:fs/promises';
import { runGit, readTree, updateIndex, writeBlobs } from '../../git/index.js';
import type { CatFile, GitEnv, IndexEntry } from '../../git/index.js';
import { isNotFound, writeFileAtomic } from '../../util/index.js';
import type { AnnexLayout } from '../layout.js';
import { unionMerge } from './union-merge.js';

export class AnnexIndex {
  constructor(private readonly git: GitEnv, private readonly layout: AnnexLayout, private readonly cat: CatFile) {}

  get file(): string {
    return this.layout.index;
  }

  /** The branch commit the index was last synced to (index.lck), if any. */
  async syncedTo(): Promise<string | undefined> {
    try {
      return (await readFile(this.layout.indexLock, 'utf8')).split('\n')[0] || undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async markSynced(commit: string): Promise<void> {
    await writeFileAtomic(this.layout.indexLock, `${commit}\n`, { tmpDir: this.layout.annexDir });
  }

  /**
   * Makes the index hold at least the content of `branchCommit` (plus whatever it had staged), as git-annex's
   * updateIndex does. Caller holds journal.lck, so a leftover index.lock can only be from a crash.
   */
  async catchUp(branchCommit: string): Promise<void> {
    await rm(`${this.layout.index}.lock`, { force: true });
    if (!(await exists(this.layout.index))) {
      await readTree(this.git, branchCommit, this.layout.index);
      await this.markSynced(branchCommit);
      return;
    }
    if ((await this.syncedTo()) === branchCommit) return;
    await this.mergeRefs([branchCommit]);
    await this.markSynced(branchCommit);
  }

  /** Union-merges each ref's files into the index (lines of both sides, sorted, deduplicated). */
  async mergeRefs(refs: readonly string[]): Promise<void> {
    for (const ref of refs) {
      const changed = await this.diffWith(ref);
      if (changed.length === 0) continue;
      const merged: IndexEntry[] = [];
      const toWrite: { path: string; content: Buffer }[] = [];
      await Promise.all(changed.map(async ({ path, refSha, indexSha }) => {
        if (refSha === undefined) return; // only in the index: a deletion never wins
        if (indexSha === undefined) {
          merged.push({ mode: '100644', sha: refSha, path });
          return;
        }
        const [a, b] = await Promise.all([this.cat.get(indexSha), this.cat.get(refSha)]);
        const result = unionMerge(a?.content ?? Buffer.alloc(0), b?.content ?? Buffer.alloc(0));
        if (result === 'first') return;
        if (result === 'second') merged.push({ mode: '100644', sha: refSha, path });
        else toWrite.push({ path, content: result });
      }));
      const shas = await writeBlobs(this.git, toWrite.map((w) => w.content));
      toWrite.forEach((w, i) => merged.push({ mode: '100644', sha: shas[i]!, path: w.path }));
      await updateIndex(this.git, merged, this.layout.index);
    }
  }

  /** Paths whose blob differs between the index and `ref`, with each side's blob (undefined when absent). */
  private async diffWith(ref: string): Promise<{ path: string; refSha?: string; indexSha?: string }[]> {
    const { stdout } = await runGit(this.git, ['diff-index', '--cached', '-z', '--raw', '--no-renames', ref], {
      env: { GIT_INDEX_FILE: this.layout.index },
    });
    const records = stdout.toString('utf8').split('\0');
    const out: { path: string; refSha?: string; indexSha?: string }[] = [];
    for (let i = 0; i + 1 < records.length; i += 2) {
      const header = records[i]!;
      if (!header.startsWith(':')) continue;
      const [refMode, indexMode, refSha, indexSha] = header.slice(1).split(' ') as [string, string, string, string];
      out.push({
        path: records[i + 1]!,
        refSha: /^0+$/.test(refMode) ? undefined : refSha,
        indexSha: /^0+$/.test(indexMode) ? undefined : indexSha,
      });
    }
    return out;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false; // absent (or unreadable, which the git command that follows reports properly)
  }
}
