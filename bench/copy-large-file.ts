// One large file to another local repository: `ferry copy --to other big.bin` against the physical limit,
// `cp` of the same bytes followed by `sync -f` of the copy (ferry's copy is verified and durable before it
// is logged; cp's is neither, so sync -f makes the comparison fair on durability), and `git annex copy --to`
// for information. Each run's repositories are removed at once, for disk space. The ferry result is checked
// outside the timed region: the object in the clone, and both sides' location logs recording it.
import { join } from 'node:path';
import { checkCopied, makeAnnexPair } from './annex-pairs.js';
import type { AnnexPair, AnnexTool } from './annex-pairs.js';
import { cpSyncContender, reportLargeCopy } from './large-copy.js';
import type { CpTrial } from './large-copy.js';
import { alternate, formatMiB, freeBytes, hasGitAnnex, timeSteps, writeLargeFile } from './lib.js';
import type { Benchmark, Command, Contender } from './lib.js';

const TIME_RATIO = 1.3;
const MiB = 2 ** 20;
const SEED = 'copy-large-20261125';

type Trial = AnnexPair | CpTrial;

export const benchmark: Benchmark = {
  name: 'copy-large-file',
  title: 'copy-large-file: copy --to another local repository of one large file',
  async run({ ws, rounds, print }) {
    const mib = Number.parseInt(process.env.FERRY_BENCH_LARGE_MB ?? '1024', 10);
    const size = mib * MiB;
    const name = `copy-large-file: ferry copy --to of ${mib} MiB within ${TIME_RATIO}× of cp + sync -f`;
    // A trial holds the file twice (source and copy) until its finish removes it.
    const needed = size * 2.2 + 256 * MiB;
    const free = await freeBytes(ws.root);
    if (free < needed) {
      print(`  skipped: needs ${formatMiB(needed)} free in ${ws.root}, ${formatMiB(free)} available`);
      return [{ name, status: 'SKIP', figure: `not enough disk space (${formatMiB(free)} free)` }];
    }
    print(`  ${mib} MiB of pseudo-random bytes, added (and left in the page cache) before each run, copied into a clone; ${rounds} alternating rounds`);
    const withAnnex = await hasGitAnnex(ws.env);
    if (!withAnnex) print('  git-annex is not installed: its runs are skipped');

    const fill = (dir: string) => { writeLargeFile(join(dir, 'big.bin'), size, SEED); };
    const annexContender = (label: string, tool: AnnexTool, copy: Command): Contender<Trial> => ({
      name: label,
      prepare: () => makeAnnexPair(ws, tool, fill, print),
      measure: (t) => timeSteps([copy], (t as AnnexPair).opts),
      async finish(t, round) {
        const pair = t as AnnexPair;
        try {
          if (tool !== 'ferry') return;
          const problems = await checkCopied(pair, 1, round === 1 && withAnnex)
            .catch((err: unknown) => [`the check itself failed: ${err instanceof Error ? err.message : String(err)}`]);
          for (const p of problems) print(`  WARNING: ${label}, round ${round}: ${p}`);
        } finally {
          await ws.remove(pair.a);
          await ws.remove(pair.b);
        }
      },
    });
    const cp = cpSyncContender(ws, fill);
    const contenders = [
      annexContender('ferry copy', 'ferry', ['ferry', 'copy', '--to', 'other', 'big.bin']),
      cp,
      ...(withAnnex ? [annexContender('git annex copy', 'git-annex', ['git', 'annex', 'copy', '--to', 'other', 'big.bin'])] : []),
    ];
    const samples = await alternate(contenders, rounds, print);
    return [reportLargeCopy({ name, ratio: TIME_RATIO, size, heading: 'command', samples, names: contenders.map((c) => c.name), withAnnex, print })];
  },
};
