// Many small files: `ferry add . && git commit` against `git annex add . && git commit` and plain
// `git add . && git commit`, each in a fresh repository with fresh files (the same bytes for every tool).
// The ferry result is checked outside the timed region: every file a committed symlink to present content.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { alternate, formatMiB, freeBytes, hasGitAnnex, makeRepo, run, timeSteps, writeSmallTree } from './lib.js';
import type { Benchmark, Command, Contender, RepoKind, RunOptions } from './lib.js';
import { reportManyFiles } from './many-files.js';

const SEED = 20261125;
const TARGET_RATIO = 10;

interface Trial {
  readonly dir: string;
  readonly opts: RunOptions;
}

export const benchmark: Benchmark = {
  name: 'add-small-files',
  title: 'add-small-files: add + commit of many 1–4 KiB files in a fresh repository',
  async run({ ws, rounds, print }) {
    const files = Number.parseInt(process.env.FERRY_BENCH_SMALL_FILES ?? '10000', 10);
    print(`  ${files} files of 1–4 KiB in ${Math.ceil(files / 100)} directories; ${rounds} alternating rounds`);
    const targetName = `add-small-files: git-annex / ferry ≥ ${TARGET_RATIO}×`;
    // Every repository is kept to the end (see finish below): about 17 KB per file and tool on ext4.
    const needed = files * 17_000 * 3 * rounds;
    const free = await freeBytes(ws.root);
    if (free < needed * 1.2) {
      print(`  skipped: ${rounds} rounds need about ${formatMiB(needed)} free in ${ws.root}, ${formatMiB(free)} available`);
      return [{ name: targetName, status: 'SKIP', figure: `not enough disk space (${formatMiB(free)} free)` }];
    }
    const withAnnex = await hasGitAnnex(ws.env);
    if (!withAnnex) print('  git-annex is not installed: its runs are skipped');

    const contender = (name: string, kind: RepoKind, add: Command): Contender<Trial> => ({
      name,
      async prepare() {
        const dir = await makeRepo(ws, kind);
        writeSmallTree(dir, files, SEED);
        return { dir, opts: { cwd: dir, env: ws.env } };
      },
      measure: (t) => timeSteps([add, ['git', 'commit', '-q', '-m', 'add']], t.opts),
      // The repository stays until the workspace is removed at the end: deleting ~30,000 files and
      // directories between runs made the next run's directory and symlink creation several times slower
      // on ext4 here (measured: ferry add 2.7 s after no deletion, 10–14 s right after one), a cost of the
      // harness, not of the next tool.
      async finish(t, round) {
        const problems = await check(t, kind, files, kind === 'ferry' && round === 1 && withAnnex)
          .catch((err: unknown) => [`the check itself failed: ${err instanceof Error ? err.message : String(err)}`]);
        for (const p of problems) print(`  WARNING: ${name}, round ${round}: ${p}`);
      },
    });
    const contenders = [
      contender('ferry', 'ferry', ['ferry', 'add', '.']),
      ...(withAnnex ? [contender('git-annex', 'git-annex', ['git', 'annex', 'add', '.'])] : []),
      contender('git', 'git', ['git', 'add', '.']),
    ];
    const samples = await alternate(contenders, rounds, print);

    return [reportManyFiles({
      name: targetName, ratio: TARGET_RATIO, files, heading: 'tool (add + commit)', samples, names: contenders.map((c) => c.name),
      withAnnex, reference: { sample: 'git', short: 'git', long: 'git' }, print,
    })];
  },
};

/** Cheap checks of a finished trial; returns what is wrong (nothing when all is well). */
async function check(t: Trial, kind: RepoKind, files: number, askGitAnnex: boolean): Promise<string[]> {
  const problems: string[] = [];
  const git = async (...args: string[]) => (await run(['git', ...args], { ...t.opts, captureStdout: true })).stdout;
  const staged = (await git('ls-files', '-s', '-z')).split('\0').filter((l) => l !== '');
  if (staged.length !== files) problems.push(`${staged.length} files in the index, expected ${files}`);
  const dirty = (await git('status', '--porcelain', '--untracked-files=all')).split('\n').filter((l) => l !== '');
  if (dirty.length > 0) problems.push(`${dirty.length} paths not committed (first: ${dirty[0]})`);
  if (kind !== 'ferry') return problems;

  const links = staged.filter((l) => l.startsWith('120000 ')).length;
  if (links !== files) problems.push(`${links} of ${files} index entries are symlinks (mode 120000)`);
  let linked = 0;
  let present = 0;
  for (const d of readdirSync(t.dir, { withFileTypes: true })) {
    if (!d.isDirectory() || d.name === '.git') continue;
    for (const f of readdirSync(join(t.dir, d.name), { withFileTypes: true })) {
      if (!f.isSymbolicLink()) continue;
      linked++;
      if (statOk(join(t.dir, d.name, f.name))) present++;
    }
  }
  if (linked !== files) problems.push(`${linked} of ${files} work-tree files are symlinks`);
  if (present !== linked) problems.push(`${linked - present} symlinks point at missing content`);
  const logs = (await git('ls-tree', '-r', '--name-only', 'git-annex')).split('\n').filter((p) => p.endsWith('.log') && p.includes('/')).length;
  if (logs < files) problems.push(`${logs} location logs on the git-annex branch, expected ${files}`);
  if (askGitAnnex) {
    const found = (await run(['git', 'annex', 'find'], { ...t.opts, captureStdout: true })).stdout.split('\n').filter((l) => l !== '').length;
    if (found !== files) problems.push(`git annex find lists ${found} files, expected ${files}`);
  }
  return problems;
}

function statOk(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false; // a dangling symlink: reported by the caller
  }
}
