// `ferry sync` of a one-file change, in repositories of two sizes, to show that its cost does not grow with
// the repository: a history of 1,000 commits and then 1,000 or 10,000 annexed files, pushed to a bare
// repository; a fresh clone of that, synced once (untimed: the first sync creates synced/ branches and
// merges the git-annex branches); one new annexed file added (untimed); then the timed sync, which commits
// it, fetches, merges and pushes. `git annex sync` is run the same way beside it. Each trial gets its own
// bare repository (a local `git clone --bare`, hard-linked), so no run sees another's pushes. The ferry
// result is checked outside the timed region: the bare repository has the new file and its location log.
import { execFileSync } from 'node:child_process';
import { readlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { annexUuid, keysLoggedPresent } from './annex-pairs.js';
import type { AnnexTool } from './annex-pairs.js';
import {
  ByteStream, alternate, formatMs, formatRatio, hasGitAnnex, median, run, sampleRows, table, target, timeSteps,
  writeSmallTree,
} from './lib.js';
import type { Benchmark, Command, Contender, RunOptions, Target, Workspace } from './lib.js';

const COMMITS = 1000;
const SEED = 20261126;
const GROWTH_LIMIT = 1.5;

interface Trial {
  readonly bare: string;
  readonly work: string;
  readonly opts: RunOptions;
  readonly file: string;
}

export const benchmark: Benchmark = {
  name: 'sync-one-change',
  title: 'sync-one-change: sync of a one-file change to a bare repository, at two repository sizes',
  async run({ ws, rounds, print }) {
    const large = Number.parseInt(process.env.FERRY_BENCH_SMALL_FILES ?? '10000', 10);
    const sizes = [Math.max(1, Math.round(large / 10)), large];
    print(`  ${COMMITS} commits, then ${sizes.join(' or ')} annexed files; one new file added and synced to a bare repository; ${rounds} alternating rounds`);
    const withAnnex = await hasGitAnnex(ws.env);
    if (!withAnnex) print('  git-annex is not installed: its runs are skipped');
    const origins = new Map<number, string>();
    for (const n of sizes) origins.set(n, await makeOrigin(ws, n));

    const label = (tool: AnnexTool, n: number) => `${tool}, ${n} files`;
    const contender = (tool: AnnexTool, n: number): Contender<Trial> => {
      const annex = (...args: string[]): Command => (tool === 'ferry' ? ['ferry', ...args] : ['git', 'annex', ...args]);
      return {
        name: label(tool, n),
        async prepare(round) {
          const bare = await ws.dir(`${tool}-${n}-bare`);
          const work = await ws.dir(`${tool}-${n}-work`);
          const opts: RunOptions = { cwd: work, env: ws.env };
          await run(['git', 'clone', '-q', '--bare', origins.get(n)!, bare], opts);
          await run(['git', 'clone', '-q', bare, work], opts);
          await run(annex('init', 'bench-work'), opts);
          await run(annex('sync', '--no-content'), opts);
          const file = `change-${round}.dat`;
          writeFileSync(join(work, file), new ByteStream(`${tool}-${n}-${round}`).next(2048));
          await run(annex('add', file), opts);
          return { bare, work, opts, file };
        },
        measure: (t) => timeSteps([annex('sync', '--no-content')], t.opts),
        async finish(t, round) {
          if (tool !== 'ferry') return;
          const problems = await checkPushed(t)
            .catch((err: unknown) => [`the check itself failed: ${err instanceof Error ? err.message : String(err)}`]);
          for (const p of problems) print(`  WARNING: ${label(tool, n)}, round ${round}: ${p}`);
        },
      };
    };
    const contenders = [
      ...sizes.map((n) => contender('ferry', n)),
      ...(withAnnex ? sizes.map((n) => contender('git-annex', n)) : []),
    ];
    const samples = await alternate(contenders, rounds, print);

    const at = (tool: AnnexTool, n: number) => median(samples.get(label(tool, n)) ?? []);
    const [small, big] = sizes as [number, number];
    const ferryGrowth = at('ferry', big) / at('ferry', small);
    print();
    for (const l of table(['tool (sync)', 'median', 'min', 'max', 'runs'], sampleRows(samples, contenders.map((c) => c.name)))) print(l);
    print(`  ferry at ${big} / at ${small} files:     ${formatRatio(ferryGrowth)} (target ≤ ${GROWTH_LIMIT}×)`);
    if (withAnnex) {
      print(`  git-annex at ${big} / at ${small} files: ${formatRatio(at('git-annex', big) / at('git-annex', small))}`);
      print(`  git-annex / ferry: ${formatRatio(at('git-annex', small) / at('ferry', small))} at ${small} files, ${formatRatio(at('git-annex', big) / at('ferry', big))} at ${big}`);
    }
    const targets: Target[] = [target(`sync-one-change: ferry sync at ${big} files within ${GROWTH_LIMIT}× of at ${small}`, ferryGrowth <= GROWTH_LIMIT,
      `${formatRatio(ferryGrowth)} (ferry ${formatMs(at('ferry', small))} at ${small} files, ${formatMs(at('ferry', big))} at ${big}${
        withAnnex ? `; git-annex ${formatMs(at('git-annex', small))} and ${formatMs(at('git-annex', big))}` : ''})`)];
    return targets;
  },
};

/**
 * A bare repository holding COMMITS commits of history (one small file changed each time, written with
 * git fast-import) and then `files` annexed files added by ferry (untimed; its objects stay in the work
 * repository it was made in, which sync without --content never asks for).
 */
async function makeOrigin(ws: Workspace, files: number): Promise<string> {
  const work = await ws.dir(`origin-${files}-work`);
  const bare = await ws.dir(`origin-${files}`);
  const opts: RunOptions = { cwd: work, env: ws.env };
  await run(['git', 'init', '-q'], opts);
  await run(['ferry', 'init', 'bench-origin'], opts);
  const stream: string[] = [];
  for (let i = 1; i <= COMMITS; i++) {
    const message = `change ${i}\n`;
    const content = `history line ${i}\n`;
    stream.push(`commit refs/heads/main\nmark :${i}\ncommitter Ferry Bench <bench@ferry.invalid> ${1_790_000_000 + i * 60} +0000\n`);
    stream.push(`data ${Buffer.byteLength(message)}\n${message}${i > 1 ? `from :${i - 1}\n` : ''}`);
    stream.push(`M 100644 inline history.txt\ndata ${Buffer.byteLength(content)}\n${content}\n`);
  }
  execFileSync('git', ['fast-import', '--quiet'], { cwd: work, env: ws.env, input: stream.join('') });
  await run(['git', 'reset', '-q', '--hard', 'main'], opts);
  writeSmallTree(work, files, SEED);
  await run(['ferry', 'add', '.'], opts);
  await run(['git', 'commit', '-q', '-m', `add ${files} files`], opts);
  await run(['git', 'clone', '-q', '--bare', work, bare], opts);
  return bare;
}

/** What is wrong after the timed sync (nothing when all is well): the new file and its log must be in the bare repository. */
async function checkPushed(t: Trial): Promise<string[]> {
  const problems: string[] = [];
  const inBare: RunOptions = { cwd: t.bare, env: t.opts.env, captureStdout: true, okCodes: [0, 128] };
  let found = false;
  for (const ref of ['main', 'synced/main']) {
    const r = await run(['git', 'ls-tree', '--name-only', ref, t.file], inBare);
    if (r.code === 0 && r.stdout.trim() === t.file) found = true;
  }
  if (!found) problems.push(`${t.file} is in neither main nor synced/main of the bare repository`);
  const key = basename(readlinkSync(join(t.work, t.file)));
  const uuid = await annexUuid(t.work, t.opts.env);
  let logged = false;
  for (const ref of ['git-annex', 'synced/git-annex']) {
    const exists = await run(['git', 'rev-parse', '-q', '--verify', `refs/heads/${ref}`], { ...inBare, okCodes: [0, 1] });
    if (exists.code === 0 && keysLoggedPresent(t.bare, t.opts.env, uuid, ref).has(key)) logged = true;
  }
  if (!logged) problems.push(`the bare repository's git-annex branches do not log ${key} as in the clone`);
  return problems;
}
