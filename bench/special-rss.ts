// Peak RSS of `ferry copy --to` of one large file to each special remote type: a directory remote
// (encryption=none), a directory remote with encryption=shared and chunk=1MiB, and an S3 remote on s3rver
// (loopback, a child process on an OS-assigned port, as the tests start it). Memory must stay flat in the
// file's size (ARCHITECTURE invariant 4). One repository, added once; after each copy (and its check that the
// location log records it) the object is dropped from that remote again, for disk space.
import { join } from 'node:path';
import { startS3rver } from '../test/servers/s3rver.js';
import { formatMiB, formatMs, freeBytes, peakRss, run, syncDisks, target, writeLargeFile } from './lib.js';
import type { Benchmark, BenchContext, PeakRss, Target } from './lib.js';
import { REMOTE, checkCopiedToSpecial, makeSpecialRepo, problemsOf, removeSpecialRepo } from './special-repos.js';

const RSS_LIMIT_BYTES = 150e6;
const MiB = 2 ** 20;
const SEED = 'special-rss-20261125';

export const benchmark: Benchmark = {
  name: 'special-rss',
  title: 'special-rss: peak RSS of ferry copy --to of a large file, for each special remote type',
  run: specialRss,
};

async function specialRss({ ws, print }: BenchContext): Promise<Target[]> {
  const mib = Number.parseInt(process.env.FERRY_BENCH_RSS_MB ?? '4096', 10);
  const size = mib * MiB;
  const name = (remote: string) => `special-rss: peak RSS of ferry copy --to ${remote} of ${mib} MiB < ${RSS_LIMIT_BYTES / 1e6} MB`;
  const remotes = [
    { label: 'directory', remote: 'plain', params: (store: string) => ['type=directory', `directory=${store}`, 'encryption=none'] },
    {
      label: 'directory, shared, chunk=1MiB', remote: 'shared',
      params: (store: string) => ['type=directory', `directory=${store}`, 'encryption=shared', 'chunk=1MiB'],
    },
    // makeSpecialRepo's own remote.
    { label: 'S3 (s3rver)', remote: REMOTE, params: () => [] as string[] },
  ];
  // The file in the repository and one copy in a remote at a time (s3rver's data dir is under os.tmpdir()).
  const free = await freeBytes(ws.root);
  if (free < size * 2.2 + 256 * MiB) {
    print(`  skipped: needs ${formatMiB(size * 2.2 + 256 * MiB)} free in ${ws.root}, ${formatMiB(free)} available`);
    return remotes.map((r) => ({ name: name(r.label), status: 'SKIP' as const, figure: `not enough disk space (${formatMiB(free)} free)` }));
  }
  const cleanups: (() => unknown)[] = [];
  try {
    const server = await startS3rver({ after: (fn) => cleanups.push(fn) });
    const env = { ...ws.env, AWS_ACCESS_KEY_ID: server.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey };
    print(`  ${mib} MiB of pseudo-random bytes, added once; one copy to each remote, dropped from it again afterwards; s3rver ${server.endpoint}`);
    const repo = await makeSpecialRepo(ws, 'ferry', (dir) => { writeLargeFile(join(dir, 'big.bin'), size, SEED); }, [
      'type=S3', `host=${server.host}`, `port=${server.port}`, 'protocol=http', 'bucket=bench-rss', 'signature=v4', 'requeststyle=path',
      'encryption=none',
    ], env);
    cleanups.push(() => removeSpecialRepo(ws, repo));
    for (const r of remotes.slice(0, 2)) {
      const store = await ws.dir(r.remote);
      cleanups.push(() => ws.remove(store));
      await run(['ferry', 'initremote', r.remote, ...r.params(store)], repo.opts);
    }
    const targets: Target[] = [];
    for (const r of remotes) {
      await syncDisks();
      const rss: PeakRss = await peakRss(['ferry', 'copy', '--to', r.remote, 'big.bin'], repo.opts);
      print('unavailable' in rss
        ? `  ferry copy --to ${r.label}: ${rss.unavailable}`
        : `  ferry copy --to ${r.label}: ${formatMiB(rss.kib * 1024)} (${((rss.kib * 1024) / 1e6).toFixed(1)} MB) in ${formatMs(rss.ms)}; ${rss.method}`);
      for (const p of await problemsOf(() => checkCopiedToSpecial(repo, 1, r.remote))) print(`  WARNING: ${r.label}: ${p}`);
      await run(['ferry', 'drop', '--from', r.remote, 'big.bin'], repo.opts);
      if ('unavailable' in rss) targets.push({ name: name(r.label), status: 'SKIP', figure: rss.unavailable });
      else {
        const bytes = rss.kib * 1024;
        targets.push(target(name(r.label), bytes < RSS_LIMIT_BYTES, `${(bytes / 1e6).toFixed(1)} MB (${formatMiB(bytes)})`));
      }
    }
    return targets;
  } finally {
    // In the order registered: s3rver stops before its data directory goes (startS3rver's own order).
    for (const fn of cleanups) await fn();
  }
}
