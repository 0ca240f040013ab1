// Issue 13's benchmarks: git itself in the cloud. ferry (`git push`/`fetch`/`clone` through ferry::, sealed
// bundles and one manifest per peer in a directory special remote with encryption=shared) beside
// git-remote-gcrypt (gcrypt::/dir, a plain directory, one gpg key without passphrase in a private GNUPGHOME)
// and plain git (a local bare repository). Three parts:
// 1. push and fetch of a one-commit change on top of a long history (each tool pushing its own local clone of
//    the same history to its own store, and a second clone of that store fetching), with the bytes each
//    push wrote to its store beside the commit's own thin pack;
// 2. a fresh clone of that history from each store;
// 3. ferry alone: many one-commit pushes in sequence, then the manifest, the bundles, the store files a fresh
//    clone opens (strace) and every byte written to the store over all pushes, against the history's size.
// Stores are kept across rounds (pushes pile up as they would in use; ferry's tier merges are part of it).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import {
  ByteStream, Xorshift32, alternate, formatMiB, formatMs, formatRatio, median, run, sampleRows, table, target,
} from './lib.js';
import type { Benchmark, Command, Contender, RunOptions, Target, Workspace } from './lib.js';

const SEED = 20261127;
/** Files in every repository ("a few hundred"). */
const FILES = 300;
/** Bytes of base64 text in a file of the long history: about 5 KB of pack per commit, ~50 MB at 10,000. */
const HISTORY_FILE_BYTES = 6000;
const GCRYPT_OVER_FERRY = 5;
const FERRY_OVER_GIT = 3;
const UPLOAD_FACTOR = 3;
/** Rounds of the sub-second push and fetch per --rounds round. */
const PUSH_ROUNDS_PER_ROUND = 3;

type Tool = 'ferry' | 'gcrypt' | 'git';

/** One tool's side of parts 1 and 2: its pushing repository, its store, the clone that fetches. */
interface Side {
  readonly tool: Tool;
  readonly work: string;
  readonly store: string;
  /** What `git clone` takes. */
  readonly url: string;
  /** The environment of every git command for this tool (GNUPGHOME, FERRY_SECRET). */
  readonly env: NodeJS.ProcessEnv;
  readonly second: string;
  readonly edits: Xorshift32;
  readonly uploaded: number[];
  readonly packs: number[];
  readonly initialPushMs: number;
}

export const benchmark: Benchmark = {
  name: 'cloudgit',
  title: 'cloudgit: git push/fetch/clone through ferry:: beside git-remote-gcrypt and plain git',
  async run({ ws, rounds, print }) {
    const commits = knob('FERRY_BENCH_CLOUDGIT_COMMITS', 10_000);
    const pushes = knob('FERRY_BENCH_CLOUDGIT_PUSHES', 1000);
    const gpg = await gcryptKey(ws, print);
    const tools: Tool[] = gpg === undefined ? ['ferry', 'git'] : ['ferry', 'gcrypt', 'git'];
    const env: NodeJS.ProcessEnv = gpg === undefined ? ws.env : { ...ws.env, GNUPGHOME: gpg.home };
    try {
      const source = await makeHistory(ws, env, commits);
      print(`  history: ${commits} commits of one ~${HISTORY_FILE_BYTES}-byte text file changed in ${FILES}, full pack ${formatMiB(await packBytes(source, env, ['--revs'], 'main\n'))}`);
      const sides: Side[] = [];
      for (const tool of tools) sides.push(await makeSide(ws, env, tool, source, gpg?.fingerprint));
      print(`  initial push of the whole history (one run each): ${sides.map((s) => `${s.tool} ${formatMs(s.initialPushMs)}`).join(', ')}`);
      const targets = await pushAndFetch(sides, rounds * PUSH_ROUNDS_PER_ROUND, print);
      await clones(ws, sides, rounds, print);
      targets.push(await manyPushes(ws, pushes, print));
      return targets;
    } finally {
      if (gpg !== undefined) await run(['gpgconf', '--kill', 'gpg-agent'], { cwd: ws.root, env, okCodes: [0, 1, 2] }).catch(() => undefined);
    }
  },
};

function knob(name: string, fallback: number): number {
  const n = Number.parseInt(process.env[name] ?? String(fallback), 10);
  return Number.isInteger(n) && n >= 1 ? n : fallback;
}

// ---- part 1: push and fetch of one commit -----------------------------------------------------------------

async function pushAndFetch(sides: readonly Side[], rounds: number, print: (line?: string) => void): Promise<Target[]> {
  print();
  print(`  push and fetch of a one-commit change (one line of one file), ${rounds} alternating rounds (stores kept across rounds)`);
  const pushOf = (s: Side): Contender<Map<string, FileId>> => ({
    name: `${s.tool} push`,
    async prepare(round) {
      await editAndCommit(s.work, s.env, s.edits, `edit ${round}`);
      s.packs.push(await packBytes(s.work, s.env, ['--revs', '--thin'], 'HEAD\n^HEAD~1\n'));
      return snapshot(s.store);
    },
    measure: async () => (await run(['git', 'push', '-q', 'cloud-git', 'main'], { cwd: s.work, env: s.env })).ms,
    async finish(before) {
      s.uploaded.push(written(before, await snapshot(s.store)).bytes);
    },
  });
  const fetchOf = (s: Side): Contender<undefined> => ({
    name: `${s.tool} fetch`,
    prepare: () => Promise.resolve(undefined),
    measure: async () => (await run(['git', 'fetch', '-q', 'origin'], { cwd: s.second, env: s.env })).ms,
    async finish(_, round) {
      const want = await revParse(s.work, s.env, 'HEAD');
      const got = await revParse(s.second, s.env, 'refs/remotes/origin/main').catch(() => 'nothing');
      if (got !== want) print(`  WARNING: ${s.tool}, round ${round}: the fetching clone has origin/main ${got}, the pusher ${want}`);
    },
  });
  const samples = await alternate([...sides.map(pushOf), ...sides.map(fetchOf)], rounds, print);
  const names = [...sides.map((s) => `${s.tool} push`), ...sides.map((s) => `${s.tool} fetch`)];
  print();
  for (const l of table(['tool', 'median', 'min', 'max', 'runs'], sampleRows(samples, names))) print(l);
  print();
  const bytes = (xs: readonly number[]) => `${Math.round(median(xs))} B`;
  for (const l of table(['tool', 'written to the store per push (median)', 'the commit\'s thin pack (median)', 'store now'],
    await Promise.all(sides.map(async (s) => [s.tool, bytes(s.uploaded), bytes(s.packs), formatMiB(await treeBytes(s.store))])))) print(l);

  const m = (name: string) => median(samples.get(name) ?? []);
  const targets: Target[] = [];
  for (const op of ['push', 'fetch']) {
    const ferry = m(`ferry ${op}`);
    const git = m(`git ${op}`);
    if (sides.some((s) => s.tool === 'gcrypt')) {
      const gcrypt = m(`gcrypt ${op}`);
      print(`  ${op}: gcrypt / ferry ${formatRatio(gcrypt / ferry)} (target ≥ ${GCRYPT_OVER_FERRY}×), ferry / git ${formatRatio(ferry / git)} (target ≤ ${FERRY_OVER_GIT}×)`);
      targets.push(target(`cloudgit: ferry ${op} of one commit ≥ ${GCRYPT_OVER_FERRY}× faster than gcrypt`, gcrypt / ferry >= GCRYPT_OVER_FERRY,
        `${formatRatio(gcrypt / ferry)} (ferry ${formatMs(ferry)}, gcrypt ${formatMs(gcrypt)})`));
    } else {
      targets.push({ name: `cloudgit: ferry ${op} of one commit ≥ ${GCRYPT_OVER_FERRY}× faster than gcrypt`, status: 'SKIP', figure: 'git-remote-gcrypt or gpg is not installed' });
    }
    targets.push(target(`cloudgit: ferry ${op} of one commit within ${FERRY_OVER_GIT}× of plain git`, ferry / git <= FERRY_OVER_GIT,
      `${formatRatio(ferry / git)} (ferry ${formatMs(ferry)}, git ${formatMs(git)})`));
  }
  return targets;
}

// ---- part 2: clone ----------------------------------------------------------------------------------------

async function clones(ws: Workspace, sides: readonly Side[], rounds: number, print: (line?: string) => void): Promise<void> {
  print();
  print(`  clone of the whole history from each store, ${rounds} alternating rounds (no target)`);
  const cloneOf = (s: Side): Contender<string> => ({
    name: `${s.tool} clone`,
    prepare: async () => join(await ws.dir(`${s.tool}-clone`), 'repo'),
    measure: async (dir) => (await run(['git', 'clone', '-q', ...(s.tool === 'git' ? ['--no-local'] : []), s.url, dir], { cwd: ws.root, env: s.env })).ms,
    async finish(dir, round) {
      const want = await revParse(s.work, s.env, 'HEAD');
      const got = await revParse(dir, s.env, 'HEAD').catch(() => 'nothing');
      if (got !== want) print(`  WARNING: ${s.tool} clone, round ${round}: HEAD is ${got}, the pusher's ${want}`);
      await ws.remove(join(dir, '..'));
    },
  });
  const samples = await alternate(sides.map(cloneOf), rounds, print);
  print();
  for (const l of table(['tool', 'median', 'min', 'max', 'runs'], sampleRows(samples, sides.map((s) => `${s.tool} clone`)))) print(l);
  const ferry = median(samples.get('ferry clone') ?? []);
  print(`  ${sides.filter((s) => s.tool !== 'ferry').map((s) => `${s.tool} / ferry ${formatRatio(median(samples.get(`${s.tool} clone`) ?? []) / ferry)}`).join(', ')}`);
}

// ---- part 3: many pushes ----------------------------------------------------------------------------------

async function manyPushes(ws: Workspace, pushes: number, print: (line?: string) => void): Promise<Target> {
  print();
  print(`  ${pushes} one-commit pushes in sequence by one peer (ferry), each changing one line of one of ${FILES} files of 1–4 KiB`);
  const work = await ws.dir('pushes-work');
  const store = await ws.dir('pushes-store');
  const opts: RunOptions = { cwd: work, env: ws.env };
  await run(['git', 'init', '-q'], opts);
  writeFiles(work, FILES, new Xorshift32(SEED + 1), new ByteStream(`cloudgit-pushes-${SEED}`));
  await run(['git', 'add', '.'], opts);
  await run(['git', 'commit', '-q', '-m', 'files'], opts);
  const secret = await ferryCloud(work, ws.env, store);
  let before = await snapshot(store);
  await run(['git', 'push', '-q', 'cloud-git', 'main'], opts);
  let after = await snapshot(store);
  const initial = written(before, after).bytes;
  let total = 0;
  let files = 0;
  const times: number[] = [];
  const edits = new Xorshift32(SEED + 2);
  for (let i = 1; i <= pushes; i++) {
    await editAndCommit(work, ws.env, edits, `edit ${i}`);
    before = after;
    times.push((await run(['git', 'push', '-q', 'cloud-git', 'main'], opts)).ms);
    after = await snapshot(store);
    const w = written(before, after);
    total += w.bytes;
    files += w.files;
    if (i % 250 === 0 || i === pushes) {
      const last = times.slice(-250);
      print(`    ${i}/${pushes}: push median ${formatMs(median(last))}, max ${formatMs(Math.max(...last))} over the last ${last.length}; written so far ${formatMiB(initial + total)}`);
    }
  }

  const v1 = join(store, 'ferry-git', 'v1');
  const manifests = await filesIn(join(v1, 'm'));
  const bundles = await filesIn(join(v1, 'b'));
  const history = await packBytes(work, ws.env, ['--revs'], 'main\n');
  let commitPacks = 0;
  const revs = (await run(['git', 'rev-list', 'main'], { ...opts, captureStdout: true })).stdout.split('\n').filter(Boolean);
  for (const c of revs) commitPacks += await packBytes(work, ws.env, ['--revs', '--thin'], revs.at(-1) === c ? `${c}\n` : `${c}\n^${c}~1\n`);
  const gets = await cloneOpens(ws, store, secret, await revParse(work, ws.env, 'HEAD'), print);

  const limit = UPLOAD_FACTOR * (history + commitPacks);
  print(`  pushes: median ${formatMs(median(times))}, first ${Math.min(100, pushes)} ${formatMs(median(times.slice(0, 100)))}, last ${Math.min(100, pushes)} ${formatMs(median(times.slice(-100)))}, max ${formatMs(Math.max(...times))}`);
  print(`  manifest${manifests.length === 1 ? '' : 's'}: ${manifests.map((f) => `${f.size} B`).join(', ')}; bundles listed: ${await listedBundles(work)}; bundle files in the store: ${bundles.length} (${formatMiB(bundles.reduce((a, f) => a + f.size, 0))})`);
  print(`  a fresh clone: ${gets}`);
  print(`  written to the store: ${formatMiB(initial + total)} (initial push ${formatMiB(initial)}, then ${formatMiB(total)} in ${files} files over ${pushes} pushes)`);
  print(`  history (one full pack of main) ${formatMiB(history)}; sum of the ${revs.length} commits' own thin packs ${formatMiB(commitPacks)}; ${UPLOAD_FACTOR} × their sum ${formatMiB(limit)}`);
  print(`  written / (history + commits' packs): ${formatRatio((initial + total) / (history + commitPacks))} (target ≤ ${UPLOAD_FACTOR}×)`);
  return target(`cloudgit: bytes written over ${pushes} pushes ≤ ${UPLOAD_FACTOR} × (history + the commits' packs)`, initial + total <= limit,
    `${formatRatio((initial + total) / (history + commitPacks))}: ${formatMiB(initial + total)} written (the initial push included), history ${formatMiB(history)} + packs ${formatMiB(commitPacks)}`);
}

/**
 * How many bundles the manifest lists: the pusher's own bundles in its .git/ferry/cloudgit/<uuid>/state.json
 * (the manifest itself is sealed; with one peer they are the same list).
 */
async function listedBundles(work: string): Promise<string> {
  const dir = join(work, '.git', 'ferry', 'cloudgit');
  const clouds = await readdir(dir).catch(() => [] as string[]);
  if (clouds.length !== 1) return `unknown (${clouds.length} clouds in ${dir})`;
  const state = JSON.parse(await readFile(join(dir, clouds[0]!, 'state.json'), 'utf8')) as { bundles?: unknown[] };
  return String(state.bundles?.length ?? 'unknown');
}

/** A fresh clone under strace: how many store files it opens (each would be a GET from a cloud). */
async function cloneOpens(ws: Workspace, store: string, secret: string, want: string, print: (line?: string) => void): Promise<string> {
  const dir = await ws.dir('pushes-clone');
  const env = { ...ws.env, FERRY_SECRET: secret };
  const plain = await run(['git', 'clone', '-q', `ferry::${store}`, join(dir, 'plain')], { cwd: dir, env });
  const got = await revParse(join(dir, 'plain'), env, 'HEAD').catch(() => 'nothing');
  if (got !== want) {
    const refs = await run(['git', 'show-ref'], { cwd: join(dir, 'plain'), env, captureStdout: true, okCodes: [0, 1] }).catch(() => undefined);
    print(`  WARNING: the fresh clone has HEAD ${got}, the pusher ${want}; its refs: ${refs?.stdout.trim().replace(/\n/g, ', ') || 'none'}; clone's stderr: ${plain.stderr.trim() || 'empty'}`);
  }
  if (!onPath('strace', env)) return `${formatMs(plain.ms)} (strace is not installed: no count of the files it opens)`;
  const trace = join(dir, 'trace');
  // UV_USE_IO_URING=0: a libuv that opens files through io_uring would hide them from strace.
  await run(['strace', '-f', '-qq', '-e', 'trace=openat,open', '-o', trace, 'git', 'clone', '-q', `ferry::${store}`, join(dir, 'traced')],
    { cwd: dir, env: { ...env, UV_USE_IO_URING: '0' } });
  const opens = (await readFile(trace, 'utf8')).split('\n').filter((l) => l.includes(`"${store}/`));
  const fileOpens = opens.filter((l) => !l.includes('O_DIRECTORY'));
  const distinct = new Set(fileOpens.map((l) => /"([^"]*)"/.exec(l)?.[1]));
  await ws.remove(dir);
  return `${formatMs(plain.ms)}; opens ${fileOpens.length} store files (${distinct.size} distinct: the GETs) and lists ${opens.length - fileOpens.length} store directories`;
}

// ---- fixtures ---------------------------------------------------------------------------------------------

/** A private GNUPGHOME with one key without passphrase, for gcrypt; undefined when gcrypt or gpg is missing. */
async function gcryptKey(ws: Workspace, print: (line?: string) => void): Promise<{ home: string; fingerprint: string } | undefined> {
  if (!onPath('git-remote-gcrypt', ws.env) || !onPath('gpg', ws.env)) {
    print('  git-remote-gcrypt or gpg is not installed: gcrypt runs are skipped');
    return undefined;
  }
  const home = join(ws.root, 'gnupg');
  await mkdir(home, { mode: 0o700 });
  const opts: RunOptions = { cwd: ws.root, env: { ...ws.env, GNUPGHOME: home }, captureStdout: true };
  await run(['gpg', '--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--quick-gen-key',
    'Ferry Bench <bench@ferry.invalid>', 'default', 'default', 'never'], opts);
  const listed = (await run(['gpg', '--batch', '--list-secret-keys', '--with-colons'], opts)).stdout;
  const fingerprint = /^fpr:+([0-9A-F]+):/m.exec(listed)?.[1];
  if (fingerprint === undefined) throw new Error('gpg made a key but lists no fingerprint');
  return { home, fingerprint };
}

/** The long history, written with git fast-import: FILES files, then one file rewritten per commit. */
async function makeHistory(ws: Workspace, env: NodeJS.ProcessEnv, commits: number): Promise<string> {
  const dir = await ws.dir('history');
  await run(['git', 'init', '-q'], { cwd: dir, env });
  const choose = new Xorshift32(SEED);
  const bytes = new ByteStream(`cloudgit-history-${SEED}`);
  const chunks: Buffer[] = [];
  const data = (b: Buffer | string) => {
    const buf = Buffer.isBuffer(b) ? b : Buffer.from(b);
    chunks.push(Buffer.from(`data ${buf.length}\n`), buf, Buffer.from('\n'));
  };
  for (let i = 1; i <= commits; i++) {
    chunks.push(Buffer.from(`commit refs/heads/main\nmark :${i}\ncommitter Ferry Bench <bench@ferry.invalid> ${1_790_000_000 + i * 60} +0000\n`));
    data(`change ${i}\n`);
    if (i > 1) chunks.push(Buffer.from(`from :${i - 1}\n`));
    const changed = i === 1 ? [...Array(FILES).keys()] : [choose.between(0, FILES - 1)];
    for (const f of changed) {
      chunks.push(Buffer.from(`M 100644 inline ${fileName(f)}\n`));
      data(text(bytes, HISTORY_FILE_BYTES));
    }
    chunks.push(Buffer.from('\n'));
  }
  await feed(['git', 'fast-import', '--quiet'], dir, env, Buffer.concat(chunks));
  await run(['git', 'reset', '-q', '--hard', 'main'], { cwd: dir, env });
  return dir;
}

/** One tool's pushing repository (a local clone of the history), its store with the history pushed, and a second clone. */
async function makeSide(ws: Workspace, env: NodeJS.ProcessEnv, tool: Tool, source: string, fingerprint: string | undefined): Promise<Side> {
  const work = join(await ws.dir(`${tool}-work`), 'repo');
  const store = await ws.dir(`${tool}-store`);
  const second = join(await ws.dir(`${tool}-second`), 'repo');
  await run(['git', 'clone', '-q', source, work], { cwd: ws.root, env });
  const opts: RunOptions = { cwd: work, env };
  let url: string;
  let sideEnv = env;
  if (tool === 'ferry') {
    sideEnv = { ...env, FERRY_SECRET: await ferryCloud(work, env, store) };
    url = `ferry::${store}`;
  } else if (tool === 'gcrypt') {
    await run(['git', 'config', 'gcrypt.participants', fingerprint ?? ''], opts);
    url = `gcrypt::${store}`;
    await run(['git', 'remote', 'add', 'cloud-git', url], opts);
  } else {
    await run(['git', 'init', '-q', '--bare', store], opts);
    url = store;
    await run(['git', 'remote', 'add', 'cloud-git', url], opts);
  }
  const initialPushMs = (await run(['git', 'push', '-q', 'cloud-git', 'main'], opts)).ms;
  await run(['git', 'clone', '-q', ...(tool === 'git' ? ['--no-local'] : []), url, second], { cwd: ws.root, env: sideEnv });
  return { tool, work, store, url, env: sideEnv, second, edits: new Xorshift32(SEED + 3), uploaded: [], packs: [], initialPushMs };
}

/** ferry init, an encryption=shared directory remote `cloud` in `store`, and `cloud-git` = ferry::cloud; returns the secret. */
async function ferryCloud(work: string, env: NodeJS.ProcessEnv, store: string): Promise<string> {
  const opts: RunOptions = { cwd: work, env };
  await run(['ferry', 'init', 'bench'], opts);
  await run(['ferry', 'initremote', 'cloud', 'type=directory', `directory=${store}`, 'encryption=shared'], opts);
  await run(['git', 'remote', 'add', 'cloud-git', 'ferry::cloud'], opts);
  const log = (await run(['git', 'show', 'git-annex:remote.log'], { ...opts, captureStdout: true })).stdout;
  const cipher = /cipher=([^ \n]+)/.exec(log)?.[1];
  if (cipher === undefined) throw new Error('remote.log has no cipher for the encryption=shared remote');
  return cipher;
}

function fileName(i: number): string {
  return `src/m${String(Math.floor(i / 50)).padStart(2, '0')}/f${String(i).padStart(3, '0')}.txt`;
}

/** About `size` bytes of text: base64 of the stream in lines of 76 (compresses like source code does, about 3:4). */
function text(bytes: ByteStream, size: number): string {
  return (bytes.next(Math.ceil((size * 3) / 4)).toString('base64').match(/.{1,76}/g) ?? []).join('\n') + '\n';
}

/** `count` files of 1–4 KiB of text under dir. */
function writeFiles(dir: string, count: number, sizes: Xorshift32, bytes: ByteStream): void {
  for (let i = 0; i < count; i++) {
    const path = join(dir, fileName(i));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text(bytes, sizes.between(1024, 4096)));
  }
}

/** Changes one line of one file (chosen by `edits`) and commits it: a typical one-commit change. */
async function editAndCommit(work: string, env: NodeJS.ProcessEnv, edits: Xorshift32, message: string): Promise<void> {
  const path = join(work, fileName(edits.between(0, FILES - 1)));
  const lines = readFileSync(path, 'utf8').split('\n');
  lines[edits.between(0, Math.max(0, lines.length - 2))] = `edited ${message} ${edits.next().toString(36)}`;
  writeFileSync(path, lines.join('\n'));
  // Untimed set-up, a thousand times over: past ferry's clean filter and pre-commit hook (a node start each),
  // which would keep these files in git anyway (they were committed before `ferry init`).
  await run(['git', '-c', 'filter.annex.process=', '-c', 'filter.annex.clean=', 'commit', '-q', '-a', '--no-verify', '-m', message], { cwd: work, env });
}

// ---- measuring the stores ---------------------------------------------------------------------------------

/** A file's identity: size, mtime (ns) and inode; a file written anew (temp + rename) gets a new one. */
type FileId = string;

async function snapshot(dir: string): Promise<Map<string, FileId>> {
  const out = new Map<string, FileId>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const s = await lstat(p, { bigint: true });
        out.set(p, `${s.size}:${s.mtimeNs}:${s.ino}`);
      }
    }
  };
  await walk(dir);
  return out;
}

/** Bytes and files that are new or rewritten in `after` (what an upload to a cloud would have sent). */
function written(before: ReadonlyMap<string, FileId>, after: ReadonlyMap<string, FileId>): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  for (const [path, id] of after) {
    if (before.get(path) === id) continue;
    bytes += Number(id.split(':')[0]);
    files++;
  }
  return { bytes, files };
}

async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const id of (await snapshot(dir)).values()) total += Number(id.split(':')[0]);
  return total;
}

async function filesIn(dir: string): Promise<{ name: string; size: number }[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return Promise.all(names.map(async (name) => ({ name, size: (await lstat(join(dir, name))).size })));
}

/** Size of `git pack-objects --stdout` with these options and revisions on stdin. */
function packBytes(cwd: string, env: NodeJS.ProcessEnv, options: readonly string[], revs: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['pack-objects', '-q', ...options, '--stdout'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let bytes = 0;
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => { bytes += b.length; });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(bytes) : reject(new Error(`git pack-objects exited with ${code}: ${stderr.trim()}`))));
    child.stdin.end(revs);
  });
}

/** Runs a command with `input` on its stdin. */
function feed(cmd: Command, cwd: string, env: NodeJS.ProcessEnv, input: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const [file, ...args] = cmd;
    const child = spawn(file, args, { cwd, env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd.join(' ')} exited with ${code}: ${stderr.trim()}`))));
    child.stdin.end(input);
  });
}

async function revParse(dir: string, env: NodeJS.ProcessEnv, rev: string): Promise<string> {
  return (await run(['git', 'rev-parse', '--verify', '-q', rev], { cwd: dir, env, captureStdout: true })).stdout.trim();
}

function onPath(name: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, name)));
}
