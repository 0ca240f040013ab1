import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { makeRepo } from '../helpers/repo.js';
import { ferry, git, gitAnnex, jsonLines, start } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

// Holds fcntl write locks on the paths given (as git-annex holds its transfer locks) until killed.
const HOLD_LOCKS = [
  'import fcntl, os, sys, time',
  'for p in sys.argv[1:]:',
  '    os.makedirs(os.path.dirname(p), exist_ok=True)',
  '    fcntl.lockf(os.open(p, os.O_RDWR | os.O_CREAT, 0o644), fcntl.LOCK_EX | fcntl.LOCK_NB)',
  'print("locked", flush=True)',
  'time.sleep(120)',
].join('\n');

async function copyPair(t: { after(fn: () => unknown): void }) {
  const origin = await makeRepo(t, { init: 'ferry', description: 'origin repo', files: { 'a.txt': 'alpha\n', 'b.txt': 'beta\n', 'c.txt': 'gamma\n' } });
  await ferry(origin, ['add', 'a.txt', 'b.txt', 'c.txt']);
  await git(origin, ['commit', '-q', '-m', 'add']);
  const clone = join(await tempDir(t), 'clone');
  await git(origin, ['clone', '-q', origin, clone]);
  await ferry(clone, ['init', 'clone repo']);
  await git(origin, ['remote', 'add', 'clone', clone]);
  const uuid = async (dir: string) => (await git(dir, ['config', 'annex.uuid'])).stdout.trim();
  const key = async (file: string) => basename((await git(origin, ['cat-file', '-p', `HEAD:${file}`])).stdout.trim());
  return { origin, clone, originUuid: await uuid(origin), cloneUuid: await uuid(clone), key };
}

async function filesUnder(dir: string): Promise<string[]> {
  const found = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return found.filter((d) => d.isFile()).map((d) => d.name);
}

test('copy --to takes the upload lock here and the download lock there, and removes both lock files afterwards', async (t) => {
  const { origin, clone, originUuid, cloneUuid, key } = await copyPair(t);
  const uploadLock = join(origin, '.git', 'annex', 'transfer', 'upload', cloneUuid, `lck.${await key('a.txt')}`);
  const downloadLock = join(clone, '.git', 'annex', 'transfer', 'download', originUuid, `lck.${await key('b.txt')}`);
  const holder = start(origin, 'python3', ['-c', HOLD_LOCKS, uploadLock, downloadLock], { expect: [] });
  t.after(() => holder.child.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    holder.child.stdout?.on('data', (b: Buffer) => { if (b.toString().includes('locked')) resolve(); });
    holder.done.then((r) => reject(new Error(`lock holder exited: ${r.stderr}`)), reject);
  });
  const busy = jsonLines((await ferry(origin, ['copy', '--json', '--to=clone', 'a.txt', 'b.txt', 'c.txt'], { expect: [1] })).stdout);
  assert.deepEqual(busy.map((r) => [r.file, r.success]), [['a.txt', false], ['b.txt', false], ['c.txt', true]]);
  for (const r of busy.slice(0, 2)) assert.match(JSON.stringify(r), /already in progress/);
  holder.child.kill('SIGKILL');
  await holder.done;

  // The holder's files are left as a killed git-annex leaves them; ferry locks them, copies, removes them.
  await ferry(origin, ['copy', '--to=clone', 'a.txt', 'b.txt']);
  assert.deepEqual(await filesUnder(join(origin, '.git', 'annex', 'transfer')), []);
  assert.deepEqual(await filesUnder(join(clone, '.git', 'annex', 'transfer')), []);
  const whereis = jsonLines((await gitAnnex(clone, ['whereis', '--json', 'a.txt', 'b.txt', 'c.txt'])).stdout);
  for (const w of whereis) assert.ok((w.whereis as { uuid: string }[]).some((r) => r.uuid === cloneUuid), `${String(w.file)} logged in the clone`);
  await gitAnnex(clone, ['fsck', '--quiet']);
});
