// `npm run bench` / `node dist/bench/run.js [--rounds N] [NAME...]`: runs the benchmarks (all, or those
// named), prints the machine, a table per benchmark and a summary of targets as PASS / SHORT / SKIP.
// Exit status 0 whatever the targets say: benchmarks inform, they never assert (bench/README.md).
import { rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { benchmark as addLargeFile } from './add-large-file.js';
import { benchmark as addSmallFiles } from './add-small-files.js';
import { benchmark as assistant } from './assistant.js';
import { benchmark as cloudgit } from './cloudgit.js';
import { benchmark as copyLargeFile } from './copy-large-file.js';
import { benchmark as copySmallFiles } from './copy-small-files.js';
import { Workspace } from './lib.js';
import type { Benchmark, Target } from './lib.js';
import { describeMachine, loadLine, mkdirProbe } from './machine.js';
import { benchmark as notify } from './notify.js';
import { benchmark as s3Store } from './s3-store.js';
import { benchmark as specialDirectory } from './special-directory.js';
import { benchmark as specialEncrypted } from './special-encrypted.js';
import { benchmark as specialRss } from './special-rss.js';
import { benchmark as startup } from './startup.js';
import { benchmark as syncOneChange } from './sync-one-change.js';

const BENCHMARKS: readonly Benchmark[] = [startup, addSmallFiles, addLargeFile, copySmallFiles, copyLargeFile, syncOneChange, s3Store,
  specialDirectory, specialEncrypted, specialRss, cloudgit, notify, assistant];

const USAGE = `usage: node dist/bench/run.js [--rounds N] [${BENCHMARKS.map((b) => b.name).join('|')}]...
  --rounds N   alternating rounds for the benchmarks other than startup (default 3, or FERRY_BENCH_ROUNDS)
  environment: FERRY_BENCH_SMALL_FILES (10000), FERRY_BENCH_LARGE_MB (1024), FERRY_BENCH_RSS_MB (4096), FERRY_BENCH_S3_MB (64),
  FERRY_BENCH_ENCRYPTED_MB (1024), FERRY_BENCH_CLOUDGIT_COMMITS (10000: the history of cloudgit's push, fetch and clone),
  FERRY_BENCH_CLOUDGIT_PUSHES (1000: cloudgit's one-commit pushes in sequence), FERRY_BENCH_ASSISTANT_* (bench/README.md, issue 15)`;

function parse(argv: readonly string[]): { names: string[]; rounds: number } | string {
  const names: string[] = [];
  let rounds = Number.parseInt(process.env.FERRY_BENCH_ROUNDS ?? '3', 10);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') return USAGE;
    if (a === '--rounds' || a.startsWith('--rounds=')) {
      rounds = Number.parseInt(a.includes('=') ? a.slice('--rounds='.length) : argv[++i] ?? '', 10);
    } else if (BENCHMARKS.some((b) => b.name === a)) {
      names.push(a);
    } else {
      return `unknown benchmark or option '${a}'\n${USAGE}`;
    }
  }
  if (!Number.isInteger(rounds) || rounds < 1) return `--rounds: expected a whole number ≥ 1\n${USAGE}`;
  return { names, rounds };
}

async function main(): Promise<number> {
  const args = parse(process.argv.slice(2));
  if (typeof args === 'string') {
    if (args === USAGE) {
      console.log(USAGE);
      return 0;
    }
    console.error(args);
    return 2;
  }
  const chosen = args.names.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => args.names.includes(b.name));
  const ws = await Workspace.create();
  // Ctrl-C mid-run must not leave gigabytes in the temp dir (object dirs are read-only: chmod first).
  const onSignal = () => {
    try {
      execFileSync('chmod', ['-R', 'u+w', ws.root], { stdio: 'ignore' });
    } catch {
      // partly gone already; rm below does what it can
    }
    rmSync(ws.root, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const print = (line = '') => console.log(line);
  const targets: Target[] = [];
  let failed = false;
  try {
    print(`ferry benchmarks, ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`);
    for (const l of await describeMachine(ws)) print(`  ${l}`);
    for (const b of chosen) {
      print();
      print(`== ${b.title}`);
      const started = Date.now();
      try {
        targets.push(...await b.run({ ws, rounds: args.rounds, print }));
      } catch (err) {
        failed = true;
        print(`  ERROR: ${err instanceof Error ? err.message : String(err)}`);
        targets.push({ name: b.name, status: 'SKIP', figure: 'the benchmark failed (see ERROR above)' });
      }
      print(`  (${b.name} took ${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
    print();
    print(`after the run: ${(await loadLine()).replace(/^load:\s+/, 'load ')}`);
    print(`after the run: ${(await mkdirProbe(ws)).replace(/^mkdir:\s+/, 'mkdir ')}`);
    print();
    print('== targets');
    for (const t of targets) print(`${t.status.padEnd(5)} ${t.name}: ${t.figure}`);
  } finally {
    await ws.close().catch((err: unknown) => {
      console.log(`could not remove ${ws.root}: ${err instanceof Error ? err.message : String(err)}`);
    });
  }
  return failed ? 1 : 0;
}

process.exitCode = await main();
