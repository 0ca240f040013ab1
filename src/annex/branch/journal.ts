// The journal (annex-format.md §3.4): uncommitted git-annex branch writes, one file per branch path holding
// its entire new content, written to othertmp/ and renamed in under journal.lck. Readers take the journal
// copy over the branch's (pitfall 7).
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeLossless, encodeLossless, fileSystemError, isNotFound, writeFileAtomic } from '../../util/index.js';
import type { AnnexLayout } from '../layout.js';
import { withAnnexLock } from '../locking.js';
import { branchPathOfJournalFile, journalFileName } from './logs/index.js';

export class Journal {
  constructor(private readonly layout: AnnexLayout) {}

  /** The journalled content of a branch path, or undefined when the journal has none. */
  async read(branchPath: string): Promise<string | undefined> {
    try {
      return decodeLossless(await readFile(join(this.layout.journalDir, journalFileName(branchPath))));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw fileSystemError(err, 'read', join(this.layout.journalDir, journalFileName(branchPath)));
    }
  }

  /** Branch paths that have journal files now. */
  async paths(): Promise<string[]> {
    return (await this.files()).map(branchPathOfJournalFile);
  }

  async files(): Promise<string[]> {
    try {
      return (await readdir(this.layout.journalDir)).filter((f) => !f.startsWith('.'));
    } catch (err) {
      if (isNotFound(err)) return [];
      throw fileSystemError(err, 'list', this.layout.journalDir);
    }
  }

  filePath(journalFile: string): string {
    return join(this.layout.journalDir, journalFile);
  }

  /** Writes a whole new version of `branchPath`. The caller holds journal.lck. */
  async write(branchPath: string, content: string): Promise<void> {
    await mkdir(this.layout.journalDir, { recursive: true });
    await mkdir(this.layout.otherTmpDir, { recursive: true });
    const target = join(this.layout.journalDir, journalFileName(branchPath));
    await withAnnexLock(this.layout, this.layout.otherTmpLock, 'shared', () =>
      writeFileAtomic(target, encodeLossless(content), { tmpDir: this.layout.otherTmpDir }));
  }

  /** Removes journal files once their content is committed. The caller holds journal.lck. */
  async remove(journalFiles: readonly string[]): Promise<void> {
    await Promise.all(journalFiles.map((f) => rm(join(this.layout.journalDir, f), { force: true })));
  }
}
