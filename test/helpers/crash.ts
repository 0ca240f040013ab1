// What the kill -9 tests of get and sync share: a fast place for trial repositories, running ferry in its own
// process group (so the git children a killed ferry leaves can be waited for), and reading the object store.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { testEnv } from './env.js';
import { removeTree } from './tmp.js';

/**
 * /dev/shm when it is a tmpfs (FERRY_CRASH_TMPDIR chooses another place): kill -9 leaves the page cache
 * intact, so a disk adds fsync latency but no coverage.
 */
export function trialTmpDir(): string | undefined {
  if (process.env.FERRY_CRASH_TMPDIR) return process.env.FERRY_CRASH_TMPDIR;
  const shm = readFileSync('/proc/mounts', 'utf8').split('\n').find((l) => l.split(' ')[1] === '/dev/shm');
  return shm?.split(' ')[2] === 'tmpfs' && !/\bnoexec\b/.test(shm) ? '/dev/shm' : undefined;
}

/**
 * For a crash suite (call inside its describe): trial repositories go to trialTmpDir(), and the test HOME
 * the helpers create is removed afterwards (they leave it behind).
 */
export function useCrashTmpDir(): void {
  before(() => {
    const tmp = trialTmpDir();
    if (tmp) process.env.TMPDIR = tmp; // read by os.tmpdir(), so by the helpers' tempDir
  });
  after(() => removeTree(testEnv().HOME!));
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export async function mapPool<T, R>(items: readonly T[], limit: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!, i);
  }));
  return out;
}

export interface GroupResult { readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly stdout: string; readonly stderr: string }

/** Runs a program in its own process group, with the test environment plus `env`. */
export function spawnGroup(cwd: string, program: string, args: readonly string[], env: Record<string, string>) {
  const child = spawn(program, [...args], { cwd, env: testEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => { stdout += b.toString('utf8'); });
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString('utf8'); });
  const done = new Promise<GroupResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Waits (bounded) until no live process of group `pgid` is left: a killed ferry's git children finish on EOF. */
export async function waitGroupGone(pgid: number): Promise<boolean> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    let alive = false;
    for (const name of await readdir('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const st = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
      const fields = st.slice(st.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') alive = true;
    }
    if (!alive) return true;
    await delay(10);
  }
  return false;
}

/** Keys with an object file in `repo`'s .git/annex/objects (hashdirmixed: XX/YY/KEY/KEY), and where. */
export async function objectKeys(repo: string): Promise<Map<string, string>> {
  const root = join(repo, '.git/annex/objects');
  const paths = (await readdir(root, { recursive: true }).catch(() => [] as string[])).map((e) => e.split('/'));
  return new Map(paths.filter((p) => p.length === 4 && p[2] === p[3]).map((p) => [p[3]!, join(root, ...p)]));
}

/** Objects whose bytes are not those their SHA256E key names. */
export async function badObjects(repo: string): Promise<string[]> {
  const bad: string[] = [];
  for (const [key, at] of await objectKeys(repo)) if (!key.includes(`--${sha256(await readFile(at))}`)) bad.push(key);
  return bad;
}

/** Partial files in `repo`'s .git/annex/tmp, by key, with their sizes. */
export async function partialFiles(repo: string): Promise<Map<string, number>> {
  const dir = join(repo, '.git/annex/tmp');
  const out = new Map<string, number>();
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const st = await stat(join(dir, name)).catch(() => undefined);
    if (st?.isFile()) out.set(name, st.size);
  }
  return out;
}

/** The size a SHA256E key records (-sN). */
export function keySize(key: string): number | undefined {
  const m = /-s(\d+)-/.exec(key);
  return m ? Number(m[1]) : undefined;
}

/** A copy of `repo` (cp -a) next to it, for checks that may repair what they find (fsck) without hiding it from a re-run. */
export function copyRepo(repo: string): string {
  const copy = `${repo}-checked`;
  const r = spawnSync('cp', ['-a', repo, copy]);
  if (r.status !== 0) throw new Error(`cp -a ${repo} failed: ${r.stderr.toString()}`);
  return copy;
}
