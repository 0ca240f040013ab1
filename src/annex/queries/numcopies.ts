// How many copies of each file must exist: --numcopies, then the file's .gitattributes annex.numcopies,
// then numcopies.log in the branch (`git annex numcopies N`), then the deprecated git config
// annex.numcopies, then 1. (Issue 11 extends this with mincopies.)
import { CheckAttr } from '../../git/index.js';
import type { Annex } from '../annex.js';
import { currentSingleValue, parseSingleValueLog } from '../branch/index.js';

export class NumCopies {
  private readonly attrs: CheckAttr;

  private constructor(annex: Annex, private readonly override: number | undefined, private readonly fallback: number) {
    this.attrs = new CheckAttr(annex.repo.git, ['annex.numcopies']);
  }

  static async load(annex: Annex, override?: number): Promise<NumCopies> {
    const log = currentSingleValue(parseSingleValueLog(await annex.branch.get('numcopies.log'), (v) => /^\d+$/.test(v)));
    const fallback = log ? Number(log.value) : annex.repo.config.int('annex.numcopies') ?? 1;
    return new NumCopies(annex, override, fallback);
  }

  async forFile(path: string | undefined): Promise<number> {
    if (this.override !== undefined) return this.override;
    if (path !== undefined) {
      const v = (await this.attrs.get(path)).get('annex.numcopies');
      const n = v === undefined ? NaN : Number(v);
      if (Number.isInteger(n) && n >= 0) return n;
    }
    return this.fallback;
  }

  close(): void {
    this.attrs.close();
  }
}
