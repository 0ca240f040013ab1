// A directory special remote with encryption=shared, whole objects and chunk=1MiB, each made by the tool's own
// initremote: `copy --to store` of one large file, then (untimed) `drop` of the local copy, then `get` of it
// back, ferry against git-annex; and the AES limit, AES-CFB in a fresh node process over the same bytes (the
// cipher alone, AES-128 as the issue measured it and AES-256 as ferry writes it; encryption for copy,
// decryption for get). Then objects git-annex wrote: in each round, right after git-annex's chunked trial, a
// clone made by ferry enables git-annex's remote and `ferry get --from store` reads them (every chunk there
// pays gpg's S2K, whoever reads it); git-annex's `get` from its own chunked remote is the reference.
// Every copy and get is preceded by `sync`; only the copy and the get are timed.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AnnexTool } from './annex-pairs.js';
import {
  formatMiB, formatMs, formatRatio, freeBytes, hasGitAnnex, median, run, sampleRows, syncDisks, table, target, writeLargeFile,
} from './lib.js';
import type { BenchContext, Benchmark, RunOptions, Target, Workspace } from './lib.js';
import { REMOTE, annexCommand, checkCopiedToSpecial, makeSpecialRepo, problemsOf, removeSpecialRepo } from './special-repos.js';
import type { SpecialRepo } from './special-repos.js';

const MiB = 2 ** 20;
const SEED = 'special-encrypted-20261125';
const AES_RATIO = 1.5;
const GIT_ANNEX_WRITTEN_RATIO = 2;

interface Mode {
  readonly label: 'whole' | 'chunked';
  readonly params: readonly string[];
  /** Targets for git-annex / ferry. */
  readonly copyRatio: number;
  readonly getRatio: number;
}

const MODES: readonly Mode[] = [
  { label: 'whole', params: ['encryption=shared'], copyRatio: 8, getRatio: 4 },
  { label: 'chunked', params: ['encryption=shared', 'chunk=1MiB'], copyRatio: 20, getRatio: 20 },
];

// Reads in 8 MiB blocks and runs each through the cipher, output discarded: the cipher's cost in node.
const AES_SCRIPT = [
  "const fs = require('node:fs'), c = require('node:crypto');",
  'const [file, alg, dir] = process.argv.slice(1);',
  "const key = Buffer.alloc(alg.startsWith('aes-256') ? 32 : 16, 7), iv = Buffer.alloc(16, 1);",
  "const x = dir === 'dec' ? c.createDecipheriv(alg, key, iv) : c.createCipheriv(alg, key, iv);",
  'const fd = fs.openSync(file, "r"), b = Buffer.allocUnsafe(8 << 20);',
  'for (let n; (n = fs.readSync(fd, b, 0, b.length, null)) > 0;) x.update(b.subarray(0, n));',
  'x.final();',
].join('\n');

const AES = [
  { name: 'AES-128-CFB encrypt', alg: 'aes-128-cfb', dir: 'enc' },
  { name: 'AES-256-CFB encrypt', alg: 'aes-256-cfb', dir: 'enc' },
  { name: 'AES-128-CFB decrypt', alg: 'aes-128-cfb', dir: 'dec' },
  { name: 'AES-256-CFB decrypt', alg: 'aes-256-cfb', dir: 'dec' },
] as const;

const copyName = (tool: AnnexTool, mode: Mode) => `${tool} copy, ${mode.label}`;
const getName = (tool: AnnexTool, mode: Mode) => `${tool} get, ${mode.label}`;
const FERRY_READS_GIT_ANNEX = "ferry get, chunked, git-annex's objects";

export const benchmark: Benchmark = {
  name: 'special-encrypted',
  title: 'special-encrypted: copy --to and get from a directory remote with encryption=shared, whole and chunk=1MiB, vs git-annex and AES-CFB',
  run: encrypted,
};

async function encrypted({ ws, rounds, print }: BenchContext): Promise<Target[]> {
  const mib = Number.parseInt(process.env.FERRY_BENCH_ENCRYPTED_MB ?? '1024', 10);
  const size = mib * MiB;
  const prefix = `special-encrypted (${mib} MiB)`;
  // The largest trial: git-annex's repository and remote, and ferry's clone reading that remote.
  const needed = size * 3.3 + 256 * MiB;
  const free = await freeBytes(ws.root);
  if (free < needed) {
    print(`  skipped: needs ${formatMiB(needed)} free in ${ws.root}, ${formatMiB(free)} available`);
    return [{ name: prefix, status: 'SKIP', figure: `not enough disk space (${formatMiB(free)} free)` }];
  }
  const withAnnex = await hasGitAnnex(ws.env);
  print(`  ${mib} MiB of pseudo-random bytes, added (and left in the page cache) before each run; ${rounds} alternating rounds`);
  if (!withAnnex) print('  git-annex is not installed: its runs are skipped');

  const samples = new Map<string, number[]>();
  const record = (name: string, ms: number) => {
    samples.set(name, [...samples.get(name) ?? [], ms]);
    return `${name.replace(/, (whole|chunked).*$/, '')} ${formatMs(ms)}`;
  };
  const fill = (dir: string) => { writeLargeFile(join(dir, 'big.bin'), size, SEED); };
  const tools: AnnexTool[] = withAnnex ? ['ferry', 'git-annex'] : ['ferry'];

  for (let round = 1; round <= rounds; round++) {
    for (const mode of MODES) {
      const line: string[] = [];
      for (const tool of tools) {
        const repo = await makeSpecialRepo(ws, tool, fill, mode.params);
        try {
          const [copyMs, getMs] = await copyDropGet(repo);
          line.push(record(copyName(tool, mode), copyMs), record(getName(tool, mode), getMs));
          if (tool === 'ferry') {
            for (const p of await problemsOf(() => checkEncrypted(repo, round === 1 && withAnnex))) print(`  WARNING: ${tool} ${mode.label}, round ${round}: ${p}`);
          } else if (mode.label === 'chunked') {
            const ms = await ferryGetsFromGitAnnex(ws, repo, (p) => print(`  WARNING: ${FERRY_READS_GIT_ANNEX}, round ${round}: ${p}`));
            if (ms !== undefined) {
              record(FERRY_READS_GIT_ANNEX, ms);
              line.push(`ferry get of git-annex's objects ${formatMs(ms)}`);
            }
          }
        } finally {
          await removeSpecialRepo(ws, repo);
        }
      }
      print(`  round ${round}/${rounds}, ${mode.label}: ${line.join(', ')}`);
    }
    const aes = await ws.dir('aes');
    try {
      fill(aes);
      const line: string[] = [];
      for (const a of AES) {
        await syncDisks();
        const r = await run(['node', '-e', AES_SCRIPT, join(aes, 'big.bin'), a.alg, a.dir], { cwd: aes, env: ws.env });
        line.push(record(a.name, r.ms));
      }
      print(`  round ${round}/${rounds}, node: ${line.join(', ')}`);
    } finally {
      await ws.remove(aes);
    }
  }

  const m = (name: string) => median(samples.get(name) ?? []);
  const rate = (ms: number) => `${((size / MiB) / (ms / 1000)).toFixed(0)} MiB/s`;
  const order = [
    ...MODES.flatMap((mode) => tools.flatMap((tool) => [copyName(tool, mode), getName(tool, mode)])),
    ...(withAnnex ? [FERRY_READS_GIT_ANNEX] : []),
    ...AES.map((a) => a.name),
  ];
  print();
  const rows = sampleRows(samples, order).map((r) => [...r, rate(m(r[0]!))]);
  for (const l of table(['command', 'median', 'min', 'max', 'runs', 'throughput'], rows)) print(l);

  const targets: Target[] = [];
  for (const mode of MODES) {
    for (const [verb, ratio, aes] of [['copy', mode.copyRatio, 'encrypt'], ['get', mode.getRatio, 'decrypt']] as const) {
      const ferryName = verb === 'copy' ? copyName('ferry', mode) : getName('ferry', mode);
      const annexName = verb === 'copy' ? copyName('git-annex', mode) : getName('git-annex', mode);
      const ferry = m(ferryName);
      const aes128 = m(`AES-128-CFB ${aes}`);
      const aes256 = m(`AES-256-CFB ${aes}`);
      const label = `${prefix}, ${mode.label}, ${verb}`;
      if (withAnnex) {
        const annex = m(annexName);
        print(`  ${mode.label} ${verb}: git-annex / ferry ${formatRatio(annex / ferry)} (target ≥ ${ratio}×)`);
        targets.push(target(`${label}: git-annex / ferry ≥ ${ratio}×`, annex / ferry >= ratio,
          `${formatRatio(annex / ferry)} (ferry ${formatMs(ferry)}, git-annex ${formatMs(annex)})`));
      } else {
        targets.push({ name: `${label}: git-annex / ferry ≥ ${ratio}×`, status: 'SKIP', figure: 'git-annex not installed' });
      }
      print(`  ${mode.label} ${verb}: ferry / AES-128-CFB ${aes} ${formatRatio(ferry / aes128)} (target ≤ ${AES_RATIO}×), / AES-256-CFB ${formatRatio(ferry / aes256)}`);
      targets.push(target(`${label}: ferry within ${AES_RATIO}× of AES-128-CFB ${aes}ion in node`, ferry / aes128 <= AES_RATIO,
        `${formatRatio(ferry / aes128)} (ferry ${formatMs(ferry)}, AES-128 ${formatMs(aes128)}; AES-256 ${formatMs(aes256)}, ferry / AES-256 ${formatRatio(ferry / aes256)})`));
    }
  }
  const gaName = `${prefix}, chunked, objects git-annex wrote: git-annex get / ferry get ≥ ${GIT_ANNEX_WRITTEN_RATIO}×`;
  if (withAnnex) {
    const ferry = m(FERRY_READS_GIT_ANNEX);
    const annex = m(getName('git-annex', MODES[1]!));
    print(`  objects git-annex wrote (chunked): git-annex get / ferry get ${formatRatio(annex / ferry)} (target ≥ ${GIT_ANNEX_WRITTEN_RATIO}×)`);
    targets.push(target(gaName, annex / ferry >= GIT_ANNEX_WRITTEN_RATIO, `${formatRatio(annex / ferry)} (ferry ${formatMs(ferry)}, git-annex ${formatMs(annex)})`));
  } else {
    targets.push({ name: gaName, status: 'SKIP', figure: 'git-annex not installed' });
  }
  return targets;
}

/** Times `copy --to store`, drops the local copy (untimed), times `get` back; the tool's own commands. */
async function copyDropGet(repo: SpecialRepo): Promise<[number, number]> {
  await syncDisks();
  const copy = await run(annexCommand(repo.tool, 'copy', '--to', REMOTE, 'big.bin'), repo.opts);
  await run(annexCommand(repo.tool, 'drop', 'big.bin'), repo.opts);
  await syncDisks();
  const get = await run(annexCommand(repo.tool, 'get', '--from', REMOTE, 'big.bin'), repo.opts);
  return [copy.ms, get.ms];
}

/** Untimed, after ferry's copy and get: the content is back, the log records the remote, git-annex reads it (round 1). */
async function checkEncrypted(repo: SpecialRepo, askGitAnnex: boolean): Promise<string[]> {
  const problems = await checkCopiedToSpecial(repo, 1);
  if (!existsSync(join(repo.dir, 'big.bin'))) problems.push('big.bin is not present after get');
  if (askGitAnnex) {
    // Not --fast: git-annex decrypts every chunk ferry wrote and checks the key's hash.
    const r = await run(['git', 'annex', 'fsck', '--from', REMOTE, 'big.bin'], { ...repo.opts, okCodes: [0, 1] });
    if (r.code !== 0) problems.push(`git annex fsck --from ${REMOTE} failed: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  }
  return problems;
}

/**
 * Untimed: a clone of git-annex's repository, initialised by ferry, with git-annex's remote enabled and the
 * origin ignored (content must come from the remote). Timed: `ferry get --from store big.bin`. Returns
 * undefined (after a warning) when the set-up or the get fails.
 */
async function ferryGetsFromGitAnnex(ws: Workspace, annexRepo: SpecialRepo, warn: (line: string) => void): Promise<number | undefined> {
  const parent = await ws.dir('ferry-reads');
  const clone = join(parent, 'clone');
  const opts: RunOptions = { cwd: clone, env: annexRepo.opts.env };
  try {
    await run(['git', 'clone', '-q', annexRepo.dir, clone], annexRepo.opts);
    await run(['ferry', 'init', 'bench-reader'], opts);
    await run(['git', 'config', 'remote.origin.annex-ignore', 'true'], opts);
    await run(['ferry', 'enableremote', REMOTE, `directory=${annexRepo.store ?? ''}`], opts);
    await syncDisks();
    const ms = (await run(['ferry', 'get', '--from', REMOTE, 'big.bin'], opts)).ms;
    if (!existsSync(join(clone, 'big.bin'))) warn('big.bin is not present after get');
    return ms;
  } catch (err) {
    warn(err instanceof Error ? err.message : String(err));
    return undefined;
  } finally {
    await ws.remove(parent);
  }
}
