// Many small files to another local repository: `ferry copy --to other .` against `git annex copy --to other .`,
// each from a repository of 10,000 files of 1–4 KiB (the add-small-files fixture) into a `git clone` of it
// that is its remote `other`; and, for information, `cp -a` of the object directory followed by `sync -f`
// (the bytes and directories without any bookkeeping, made durable as ferry's copy is). Set-up (add, clone,
// init, sync) is untimed. The ferry result is checked outside the timed region: every object in the clone,
// and both sides' location logs recording it.
import { join } from 'node:path';
import { checkCopied, makeAnnexPair } from './annex-pairs.js';
import type { AnnexPair, AnnexTool } from './annex-pairs.js';
import { alternate, formatMiB, freeBytes, hasGitAnnex, makeRepo, run, timeSteps, writeSmallTree } from './lib.js';
import type { Benchmark, Command, Contender } from './lib.js';
import { reportManyFiles } from './many-files.js';

const SEED = 20261125;
const TARGET_RATIO = 10;

type Trial = AnnexPair | { readonly tool: 'cp'; readonly src: string; readonly dest: string };

export const benchmark: Benchmark = {
  name: 'copy-small-files',
  title: 'copy-small-files: copy --to another local repository of many 1–4 KiB files',
  async run({ ws, rounds, print }) {
    const files = Number.parseInt(process.env.FERRY_BENCH_SMALL_FILES ?? '10000', 10);
    print(`  ${files} files of 1–4 KiB in ${Math.ceil(files / 100)} directories, copied into a clone (its remote 'other'); ${rounds} alternating rounds`);
    const targetName = `copy-small-files: git-annex / ferry ≥ ${TARGET_RATIO}×`;
    // Every repository is kept to the end (as in add-small-files): two repositories per trial.
    const needed = files * 17_000 * 2 * 3 * rounds;
    const free = await freeBytes(ws.root);
    if (free < needed * 1.2) {
      print(`  skipped: ${rounds} rounds need about ${formatMiB(needed)} free in ${ws.root}, ${formatMiB(free)} available`);
      return [{ name: targetName, status: 'SKIP', figure: `not enough disk space (${formatMiB(free)} free)` }];
    }
    const withAnnex = await hasGitAnnex(ws.env);
    if (!withAnnex) print('  git-annex is not installed: its runs are skipped');

    const fill = (dir: string) => { writeSmallTree(dir, files, SEED); };
    const annexContender = (name: string, tool: AnnexTool, copy: Command): Contender<Trial> => ({
      name,
      prepare: () => makeAnnexPair(ws, tool, fill, print),
      measure: (t) => timeSteps([copy], (t as AnnexPair).opts),
      async finish(t, round) {
        if (tool !== 'ferry') return;
        const problems = await checkCopied(t as AnnexPair, files, round === 1 && withAnnex)
          .catch((err: unknown) => [`the check itself failed: ${err instanceof Error ? err.message : String(err)}`]);
        for (const p of problems) print(`  WARNING: ${name}, round ${round}: ${p}`);
      },
    });
    // The object directory of a repository filled like the contenders' (ferry add, untimed), copied whole.
    const cp: Contender<Trial> = {
      name: 'cp -a + sync -f',
      async prepare() {
        const repo = await makeRepo(ws, 'ferry');
        fill(repo);
        await run(['ferry', 'add', '.'], { cwd: repo, env: ws.env });
        return { tool: 'cp', src: join(repo, '.git', 'annex', 'objects'), dest: join(await ws.dir('cp'), 'objects') };
      },
      measure: (t) => {
        const { src, dest } = t as { src: string; dest: string };
        return timeSteps([['cp', '-a', src, dest], ['sync', '-f', dest]], { cwd: ws.root, env: ws.env });
      },
    };
    const contenders = [
      annexContender('ferry', 'ferry', ['ferry', 'copy', '--to', 'other', '.']),
      ...(withAnnex ? [annexContender('git-annex', 'git-annex', ['git', 'annex', 'copy', '--to', 'other', '.'])] : []),
      cp,
    ];
    const samples = await alternate(contenders, rounds, print);

    return [reportManyFiles({
      name: targetName, ratio: TARGET_RATIO, files, heading: 'tool (copy --to)', samples, names: contenders.map((c) => c.name),
      withAnnex, reference: { sample: cp.name, short: 'cp', long: 'cp -a + sync -f' }, print,
    })];
  },
};
