// One large file: `ferry add big.bin` against `git annex add big.bin` and the physical limit, hashing the
// same bytes with SHA-256 in a fresh node process (the work `add` cannot avoid). Then the peak RSS of
// `ferry add` of a larger file: memory must stay flat in file size (ARCHITECTURE invariant 4).
import { readlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  alternate, formatMiB, formatMs, formatRatio, freeBytes, hasGitAnnex, makeRepo, median, peakRss, run, sampleRows,
  table, target, writeLargeFile,
} from './lib.js';
import type { Benchmark, BenchContext, Command, Contender, PeakRss, Target } from './lib.js';

const TIME_RATIO = 1.5;
const RSS_LIMIT_BYTES = 150e6;
const MiB = 2 ** 20;
const SEED = 'large-20261125';

// Reads in 8 MiB blocks into one buffer and hashes each: what a tight hashing loop costs in node.
const SHA256_SCRIPT = [
  "const fs = require('node:fs'), h = require('node:crypto').createHash('sha256');",
  'const fd = fs.openSync(process.argv[1], "r"), b = Buffer.allocUnsafe(8 << 20);',
  'for (let n; (n = fs.readSync(fd, b, 0, b.length, null)) > 0;) h.update(b.subarray(0, n));',
  "console.log(h.digest('hex'));",
].join('\n');

interface Trial {
  readonly dir: string;
  readonly file: string;
}

export const benchmark: Benchmark = {
  name: 'add-large-file',
  title: 'add-large-file: add of one large file vs SHA-256 of the same bytes; peak RSS of a larger add',
  async run(ctx) {
    return [...await timeLargeAdd(ctx), ...await rssOfLargeAdd(ctx)];
  },
};

async function timeLargeAdd({ ws, rounds, print }: BenchContext): Promise<Target[]> {
  const mib = Number.parseInt(process.env.FERRY_BENCH_LARGE_MB ?? '1024', 10);
  const size = mib * MiB;
  const name = `add-large-file: ferry add of ${mib} MiB within ${TIME_RATIO}× of sha256`;
  const free = await freeBytes(ws.root);
  if (free < size * 1.1 + 256 * MiB) {
    print(`  skipped: a ${mib} MiB file needs ${formatMiB(size * 1.1 + 256 * MiB)} free in ${ws.root}, ${formatMiB(free)} available`);
    return [{ name, status: 'SKIP', figure: `not enough disk space (${formatMiB(free)} free)` }];
  }
  print(`  ${mib} MiB of pseudo-random bytes, written (and left in the page cache) before each run; ${rounds} alternating rounds`);
  const withAnnex = await hasGitAnnex(ws.env);
  if (!withAnnex) print('  git-annex is not installed: its runs are skipped');

  let ferryKey: string | undefined;
  let digest: string | undefined;
  const contender = (label: string, kind: 'ferry' | 'git-annex' | 'plain', cmd: (file: string) => Command): Contender<Trial> => ({
    name: label,
    async prepare() {
      const dir = kind === 'plain' ? await ws.dir('sha256') : await makeRepo(ws, kind);
      const file = join(dir, 'big.bin');
      writeLargeFile(file, size, SEED);
      return { dir, file };
    },
    async measure(t) {
      const r = await run(cmd(t.file), { cwd: t.dir, env: ws.env, captureStdout: true });
      if (kind === 'plain' && label === 'sha256 (node)') digest = r.stdout.trim();
      return r.ms;
    },
    async finish(t) {
      try {
        if (kind === 'ferry') ferryKey = await readlink(t.file).catch(() => 'not a symlink');
      } finally {
        await ws.remove(t.dir);
      }
    },
  });
  const contenders = [
    contender('ferry add', 'ferry', () => ['ferry', 'add', 'big.bin']),
    ...(withAnnex ? [contender('git annex add', 'git-annex', () => ['git', 'annex', 'add', 'big.bin'])] : []),
    contender('sha256 (node)', 'plain', (f) => ['node', '-e', SHA256_SCRIPT, f]),
    contender('sha256sum', 'plain', (f) => ['sha256sum', f]),
  ];
  const samples = await alternate(contenders, rounds, print);
  if (digest !== undefined && !(ferryKey ?? '').includes(`SHA256E-s${size}--${digest}`)) {
    print(`  WARNING: ferry's big.bin -> ${ferryKey ?? '?'} does not name SHA256E-s${size}--${digest}`);
  }

  const ferry = median(samples.get('ferry add') ?? []);
  const annex = median(samples.get('git annex add') ?? []);
  const sha = median(samples.get('sha256 (node)') ?? []);
  const rate = (ms: number) => `${((size / MiB) / (ms / 1000)).toFixed(0)} MiB/s`;
  print();
  const rows = sampleRows(samples, contenders.map((c) => c.name)).map((r) => [...r, rate(median(samples.get(r[0]!) ?? []))]);
  for (const l of table(['command', 'median', 'min', 'max', 'runs', 'throughput'], rows)) print(l);
  print(`  ferry / sha256 (node): ${formatRatio(ferry / sha)} (target ≤ ${TIME_RATIO}×)`);
  if (withAnnex) print(`  git-annex / ferry:     ${formatRatio(annex / ferry)}`);
  return [target(name, ferry / sha <= TIME_RATIO,
    `${formatRatio(ferry / sha)} (ferry ${formatMs(ferry)}, sha256 ${formatMs(sha)}${withAnnex ? `, git-annex ${formatMs(annex)}` : ''})`)];
}

async function rssOfLargeAdd({ ws, print }: BenchContext): Promise<Target[]> {
  const mib = Number.parseInt(process.env.FERRY_BENCH_RSS_MB ?? '4096', 10);
  const size = mib * MiB;
  const name = `add-large-file: peak RSS of ferry add of ${mib} MiB < ${RSS_LIMIT_BYTES / 1e6} MB`;
  print();
  print(`  peak RSS, ${mib} MiB file, one run each:`);
  const free = await freeBytes(ws.root);
  if (free < size * 1.1 + 256 * MiB) {
    print(`  skipped: a ${mib} MiB file needs ${formatMiB(size * 1.1 + 256 * MiB)} free in ${ws.root}, ${formatMiB(free)} available`);
    return [{ name, status: 'SKIP', figure: `not enough disk space (${formatMiB(free)} free)` }];
  }
  const measure = async (kind: 'ferry' | 'git-annex', cmd: Command): Promise<PeakRss> => {
    const dir = await makeRepo(ws, kind);
    try {
      writeLargeFile(join(dir, 'big.bin'), size, `rss-${SEED}`);
      await run(['sync'], { cwd: dir, env: ws.env });
      return await peakRss(cmd, { cwd: dir, env: ws.env });
    } finally {
      await ws.remove(dir);
    }
  };
  const show = (label: string, r: PeakRss) => print('unavailable' in r
    ? `  ${label}: ${r.unavailable}`
    : `  ${label}: ${formatMiB(r.kib * 1024)} (${((r.kib * 1024) / 1e6).toFixed(1)} MB) in ${formatMs(r.ms)}; ${r.method}`);
  const ferry = await measure('ferry', ['ferry', 'add', 'big.bin']);
  show('ferry add    ', ferry);
  if (await hasGitAnnex(ws.env)) show('git annex add', await measure('git-annex', ['git', 'annex', 'add', 'big.bin']));
  if ('unavailable' in ferry) return [{ name, status: 'SKIP', figure: ferry.unavailable }];
  const bytes = ferry.kib * 1024;
  return [target(name, bytes < RSS_LIMIT_BYTES, `${(bytes / 1e6).toFixed(1)} MB (${formatMiB(bytes)})`)];
}
