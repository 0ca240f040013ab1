// A directory special remote (encryption=none, no chunking), made by each tool's own initremote: (a) one large
// file, `ferry copy --to store` against `cp` of the same bytes + `sync -f` of the copy (ferry's copy is
// verified and durable before it is logged) and `git annex copy --to store`; (b) many 1–4 KiB files, `ferry
// copy --to store .` against `git annex copy --to store .`. Only the copy is timed. The ferry result is
// checked outside the timed region: every object file in the directory with its size, the location log
// recording it, and (first round) git-annex's own `fsck --from store --fast` agreeing.
import { join } from 'node:path';
import type { AnnexTool } from './annex-pairs.js';
import { cpSyncContender, reportLargeCopy } from './large-copy.js';
import type { CpTrial } from './large-copy.js';
import { alternate, formatMiB, freeBytes, hasGitAnnex, run, timeSteps, writeLargeFile, writeSmallTree } from './lib.js';
import type { BenchContext, Benchmark, Contender, Target } from './lib.js';
import { REMOTE, annexCommand, checkCopiedToSpecial, makeSpecialRepo, problemsOf, removeSpecialRepo } from './special-repos.js';
import type { SpecialRepo } from './special-repos.js';
import { reportManyFiles } from './many-files.js';

const LARGE_RATIO = 1.2;
const SMALL_RATIO = 10;
const MiB = 2 ** 20;
const LARGE_SEED = 'special-directory-20261125';
const SMALL_SEED = 20261126;
const PLAIN = ['encryption=none'];

type Trial = SpecialRepo | CpTrial;

export const benchmark: Benchmark = {
  name: 'special-directory',
  title: 'special-directory: copy --to a directory special remote (encryption=none), one large file and many small ones',
  async run(ctx) {
    return [...await largeFile(ctx), ...await smallFiles(ctx)];
  },
};

/** Untimed, after a ferry copy: the store holds every object, the log says so, git-annex agrees (round 1). */
async function checkFerryCopy(repo: SpecialRepo, expected: number, askGitAnnex: boolean, paths: readonly string[]): Promise<string[]> {
  const problems = await checkCopiedToSpecial(repo, expected, REMOTE, repo.store);
  if (askGitAnnex) {
    const r = await run(['git', 'annex', 'fsck', '--from', REMOTE, '--fast', ...paths], { ...repo.opts, okCodes: [0, 1] });
    if (r.code !== 0) problems.push(`git annex fsck --from ${REMOTE} --fast failed: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  }
  return problems;
}

async function largeFile({ ws, rounds, print }: BenchContext): Promise<Target[]> {
  const mib = Number.parseInt(process.env.FERRY_BENCH_LARGE_MB ?? '1024', 10);
  const size = mib * MiB;
  const name = `special-directory: ferry copy --to of ${mib} MiB within ${LARGE_RATIO}× of cp + sync -f`;
  // A trial holds the file twice (repository and store) until its finish removes it.
  const needed = size * 2.2 + 256 * MiB;
  const free = await freeBytes(ws.root);
  if (free < needed) {
    print(`  skipped: needs ${formatMiB(needed)} free in ${ws.root}, ${formatMiB(free)} available`);
    return [{ name, status: 'SKIP', figure: `not enough disk space (${formatMiB(free)} free)` }];
  }
  print(`  (a) ${mib} MiB of pseudo-random bytes, added (and left in the page cache) before each run; ${rounds} alternating rounds`);
  const withAnnex = await hasGitAnnex(ws.env);
  if (!withAnnex) print('  git-annex is not installed: its runs are skipped');

  const fill = (dir: string) => { writeLargeFile(join(dir, 'big.bin'), size, LARGE_SEED); };
  const annexContender = (label: string, tool: AnnexTool): Contender<Trial> => ({
    name: label,
    prepare: () => makeSpecialRepo(ws, tool, fill, PLAIN),
    measure: (t) => timeSteps([annexCommand(tool, 'copy', '--to', REMOTE, 'big.bin')], (t as SpecialRepo).opts),
    async finish(t, round) {
      const repo = t as SpecialRepo;
      try {
        if (tool !== 'ferry') return;
        for (const p of await problemsOf(() => checkFerryCopy(repo, 1, round === 1 && withAnnex, ['big.bin']))) {
          print(`  WARNING: ${label}, round ${round}: ${p}`);
        }
      } finally {
        await removeSpecialRepo(ws, repo);
      }
    },
  });
  const cp = cpSyncContender(ws, fill);
  const contenders = [
    annexContender('ferry copy', 'ferry'),
    cp,
    ...(withAnnex ? [annexContender('git annex copy', 'git-annex')] : []),
  ];
  const samples = await alternate(contenders, rounds, print);
  const report = reportLargeCopy({
    name, ratio: LARGE_RATIO, size, heading: 'command (to a directory remote)', samples, names: contenders.map((c) => c.name), withAnnex, print,
  });
  print();
  return [report];
}

async function smallFiles({ ws, rounds, print }: BenchContext): Promise<Target[]> {
  const files = Number.parseInt(process.env.FERRY_BENCH_SMALL_FILES ?? '10000', 10);
  const name = `special-directory: ${files} small files, git-annex / ferry ≥ ${SMALL_RATIO}×`;
  // Every repository and store is kept to the end (a mass deletion slows the next run's mkdirs on ext4,
  // see add-small-files): a repository and a store per trial.
  const needed = files * 17_000 * 2 * 2 * rounds;
  const free = await freeBytes(ws.root);
  if (free < needed * 1.2) {
    print(`  skipped: ${rounds} rounds need about ${formatMiB(needed)} free in ${ws.root}, ${formatMiB(free)} available`);
    return [{ name, status: 'SKIP', figure: `not enough disk space (${formatMiB(free)} free)` }];
  }
  if (!await hasGitAnnex(ws.env)) {
    print('  (b) skipped: git-annex is not installed');
    return [{ name, status: 'SKIP', figure: 'git-annex not installed' }];
  }
  print(`  (b) ${files} files of 1–4 KiB in ${Math.ceil(files / 100)} directories; ${rounds} alternating rounds`);
  const fill = (dir: string) => { writeSmallTree(dir, files, SMALL_SEED); };
  // git-annex's fsck of every file would take longer than the copy: the first directory stands for the rest.
  const sample = ['d000'];
  const contender = (label: string, tool: AnnexTool): Contender<SpecialRepo> => ({
    name: label,
    prepare: () => makeSpecialRepo(ws, tool, fill, PLAIN),
    measure: (repo) => timeSteps([annexCommand(tool, 'copy', '--to', REMOTE, '.')], repo.opts),
    async finish(repo, round) {
      if (tool !== 'ferry') return;
      for (const p of await problemsOf(() => checkFerryCopy(repo, files, round === 1, sample))) print(`  WARNING: ${label}, round ${round}: ${p}`);
    },
  });
  const contenders = [contender('ferry', 'ferry'), contender('git-annex', 'git-annex')];
  const samples = await alternate(contenders, rounds, print);

  return [reportManyFiles({
    name, ratio: SMALL_RATIO, files, heading: 'tool (copy --to a directory remote)', samples, names: contenders.map((c) => c.name),
    withAnnex: true, print,
  })];
}
