// `ferry demo` (what `npm start` runs): the product on one machine, with nothing to set up. In a temp
// folder: a directory store as the "cloud", a relay in this process, Alice's repository (`ferry cloud
// create`) and Bob's (`ferry join`), an assistant for each (in this process too), then files written on
// Alice's side and timed until Bob's side holds the same bytes. The commands the user would type run as
// real ferry processes and are printed, so the output doubles as a walk-through.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { FerryError } from '../util/index.js';
import { describeEvent } from './describe-event.js';
import type { AssistantEvent } from './events.js';
import { startAssistant } from './run.js';
import type { Assistant } from './run.js';

export interface DemoOptions {
  /** Starts a relay on loopback (the cli passes relay/'s startRelay: assistant/ does not import it). */
  readonly startRelay: () => Promise<{ url: string; close(): Promise<void> }>;
  /** Exit after the round trip instead of staying up for the user to play. */
  readonly once: boolean;
  /** Leave the temp folder in place afterwards. */
  readonly keep: boolean;
  readonly say: (line: string) => void;
  /** Resolves when the user asks to stop (Ctrl-C); only awaited without `once`. */
  readonly interrupted: Promise<void>;
}

/** What the demo wrote on Alice's side: path and bytes. */
const FILES: readonly { path: string; data: () => Buffer }[] = [
  { path: 'hello.txt', data: () => Buffer.from('Hello from Alice! Edit me, and watch Bob\'s copy change.\n') },
  { path: 'notes/packing-list.md', data: () => Buffer.from('- passport\n- charger\n- the good socks\n') },
  { path: 'photos/beach.jpg', data: () => pseudoRandom(3 * 1024 * 1024) },
];

const ARRIVAL_LIMIT_MS = 60_000;

/** Runs the demo; resolves with the exit status (0: Bob's files hash to Alice's within 60 s). */
export async function runDemo(opts: DemoOptions): Promise<number> {
  const { say } = opts;
  useOwnBinaries();
  const root = await mkdtemp(join(tmpdir(), 'ferry-demo-'));
  const alice = join(root, 'alice');
  const bob = join(root, 'bob');
  const store = join(root, 'cloud');
  const started: Assistant[] = [];
  let relay: { url: string; close(): Promise<void> } | undefined;
  try {
    await mkdir(alice);
    await mkdir(store);
    relay = await opts.startRelay();
    say(`ferry demo in ${root}: a folder as the cloud (${store}), a relay at ${relay.url}, Alice and Bob.`);
    say('');
    await ferry(say, alice, ['git', 'init', '-q', '-b', 'main']);
    await ferry(say, alice, ['ferry', 'init', 'alice']);
    const created = await ferry(say, alice, ['ferry', 'cloud', 'create', 'cloud', 'type=directory', `directory=${store}`, '--notify', `relay=${relay.url}`, '--json']);
    const code = (JSON.parse(created) as { code: string }).code;
    say('  (the join code is a secret: it holds the key to everything in the cloud; this one is only for the demo)');
    await ferry(say, root, ['ferry', 'join', '-', 'bob'], `${code}\n`);
    await ferry(say, bob, ['ferry', 'describe', 'here', 'bob']);
    say('');
    say('Starting an assistant for each (ferry assistant):');
    for (const [name, dir] of [['alice', alice], ['bob', bob]] as const) {
      const a = await startAssistant({ cwd: dir });
      started.push(a);
      a.bus.subscribe((e) => { if (!opts.once) print(say, name, e); });
    }
    const [aliceAssistant, bobAssistant] = started as [Assistant, Assistant];
    say(`  Alice's status page: ${aliceAssistant.status.loginUrl()}`);
    say(`  Bob's status page:   ${bobAssistant.status.loginUrl()}`);
    say('');
    say('Alice writes three files; Bob should have them within a second or two:');
    const missing = await roundTrip(say, alice, bob, bobAssistant);
    if (missing.length > 0) {
      say(`FAILED: after ${ARRIVAL_LIMIT_MS / 1000} s Bob still lacks ${missing.join(', ')}`);
      return 1;
    }
    if (opts.once) return 0;
    say('');
    say(`Now play: edit, add, move or delete files in ${alice} (or in ${bob}) and watch the other side.`);
    say('Press Ctrl-C to stop.');
    await opts.interrupted;
    return 0;
  } finally {
    await Promise.allSettled(started.map((a) => a.stop('the demo ended')));
    await relay?.close();
    if (opts.keep) say(`left in place: ${root}`);
    else await rm(root, { recursive: true, force: true });
  }
}

/** Writes FILES in Alice's folder and waits, event by event, until Bob's copies hash the same; returns what is missing. */
async function roundTrip(say: (line: string) => void, alice: string, bob: string, bobAssistant: Assistant): Promise<string[]> {
  const wanted = new Map<string, string>();
  const arrived = new Map<string, number>();
  const t0 = performance.now();
  for (const f of FILES) {
    const data = f.data();
    await mkdir(dirname(join(alice, f.path)), { recursive: true });
    await writeFile(join(alice, f.path), data);
    wanted.set(f.path, sha256(data));
  }
  const check = async () => {
    for (const [path, hash] of wanted) {
      if (arrived.has(path)) continue;
      const data = await readFile(join(bob, path)).catch(() => undefined);
      if (data !== undefined && sha256(data) === hash) {
        const ms = performance.now() - t0;
        arrived.set(path, ms);
        say(`  ${path}: on Bob's side after ${(ms / 1000).toFixed(2)} s, the same bytes (sha256 ${hash.slice(0, 12)}…)`);
      }
    }
    return arrived.size === wanted.size;
  };
  await new Promise<void>((resolve) => {
    const timer = setTimeout(finish, ARRIVAL_LIMIT_MS);
    let checking = Promise.resolve();
    const stop = bobAssistant.bus.subscribe(() => {
      checking = checking.then(async () => { if (await check()) finish(); });
    });
    function finish(): void {
      clearTimeout(timer);
      stop();
      resolve();
    }
    checking = checking.then(async () => { if (await check()) finish(); });
  });
  return [...wanted.keys()].filter((p) => !arrived.has(p));
}

/** Runs a command the user would type, showing it first; returns its stdout. */
function ferry(say: (line: string) => void, cwd: string, argv: readonly string[], input?: string): Promise<string> {
  say(`$ ${argv.join(' ')}${input !== undefined ? '   (the code on stdin)' : ''}`);
  const [program, ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = spawn(program!, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (status) => {
      const stdout = Buffer.concat(out).toString('utf8');
      if (status !== 0) reject(new FerryError(`${argv.join(' ')} exited ${status}: ${Buffer.concat(err).toString('utf8').trim()}`));
      else {
        if (!argv.includes('--json')) for (const line of stdout.split('\n').filter(Boolean)) say(`  ${line}`);
        resolve(stdout);
      }
    });
    child.stdin.end(input);
  });
}

function print(say: (line: string) => void, who: string, e: AssistantEvent): void {
  const text = describeEvent(e);
  if (text !== undefined) say(`  [${who}] ${text}`);
}

/**
 * git runs ferry (filters, hooks) and git-remote-ferry by name: put this build's bin folder first on PATH,
 * and give git an identity when the user has none, so the demo works on a fresh machine.
 */
function useOwnBinaries(): void {
  const bin = join(dirname(process.argv[1] ?? '.'), '..', 'bin');
  if (existsSync(join(bin, 'ferry'))) process.env.PATH = `${bin}${delimiter}${process.env.PATH ?? ''}`;
  process.env.GIT_AUTHOR_NAME ??= 'ferry demo';
  process.env.GIT_AUTHOR_EMAIL ??= 'demo@ferry.invalid';
  process.env.GIT_COMMITTER_NAME ??= 'ferry demo';
  process.env.GIT_COMMITTER_EMAIL ??= 'demo@ferry.invalid';
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Bytes that do not compress or dedupe, without reading /dev/urandom for megabytes. */
function pseudoRandom(length: number): Buffer {
  const out = Buffer.alloc(length);
  let block = createHash('sha256').update('ferry demo').digest();
  for (let at = 0; at < length; at += block.length) {
    block.copy(out, at);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}
