// One large file to another local repository: `ferry copy --to other big.bin` against the physical limit,
// `cp` of the same bytes followed by `sync -f` of the copy (ferry's copy is verified and durable before it
// is logged; cp's is neither, so sync -f makes the comparison fair on durability), and `git annex copy --to`
// for information. Each run's repositories are removed at once, for disk space. The ferry result is checked
// outside the timed region: the object in the clone, and both sides' location logs recording it.
import { join } from 'node:path';
import { checkCopied, makeAnnexPair } from './annex-pairs.js';
import type { AnnexPair, AnnexTool } from './annex-pairs.js';
import {
  alternate, formatMiB, formatMs, formatRatio, freeBytes, hasGitAnnex, median, sampleRows, table, target, timeSteps,
  writeLargeFile,
} from './lib.js';
import type { Benchmark, Command, Contender } from './lib.js';

const TIME_RATIO = 1.3;
const MiB = 2 ** 20;
const SEED = 'copy-large-20261125';

type Trial = AnnexPair | { readonly tool: 'cp'; readonly dir: string };

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
    const cp: Contender<Trial> = {
      name: 'cp + sync -f',
      async prepare() {
        const dir = await ws.dir('cp');
        fill(dir);
        return { tool: 'cp', dir };
      },
      measure: (t) => {
        const { dir } = t as { dir: string };
        return timeSteps([['cp', join(dir, 'big.bin'), join(dir, 'copy.bin')], ['sync', '-f', join(dir, 'copy.bin')]], { cwd: dir, env: ws.env });
      },
      finish: (t) => ws.remove((t as { dir: string }).dir),
    };
    const contenders = [
      annexContender('ferry copy', 'ferry', ['ferry', 'copy', '--to', 'other', 'big.bin']),
      cp,
      ...(withAnnex ? [annexContender('git annex copy', 'git-annex', ['git', 'annex', 'copy', '--to', 'other', 'big.bin'])] : []),
    ];
    const samples = await alternate(contenders, rounds, print);

    const ferry = median(samples.get('ferry copy') ?? []);
    const copy = median(samples.get(cp.name) ?? []);
    const annex = median(samples.get('git annex copy') ?? []);
    const rate = (ms: number) => `${((size / MiB) / (ms / 1000)).toFixed(0)} MiB/s`;
    print();
    const rows = sampleRows(samples, contenders.map((c) => c.name)).map((r) => [...r, rate(median(samples.get(r[0]!) ?? []))]);
    for (const l of table(['command', 'median', 'min', 'max', 'runs', 'throughput'], rows)) print(l);
    print(`  ferry / (cp + sync -f): ${formatRatio(ferry / copy)} (target ≤ ${TIME_RATIO}×)`);
    if (withAnnex) print(`  git-annex / ferry:      ${formatRatio(annex / ferry)}`);
    return [target(name, ferry / copy <= TIME_RATIO,
      `${formatRatio(ferry / copy)} (ferry ${formatMs(ferry)}, cp + sync -f ${formatMs(copy)}${withAnnex ? `, git-annex ${formatMs(annex)}` : ''})`)];
  },
};
