import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, readlink, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { AssistantEvent } from '../../src/assistant/index.js';
import { useTestEnv } from '../helpers/env.js';
import { bytes, makeRepo } from '../helpers/repo.js';
import { git, start } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { waitUntilStopped } from '../helpers/trace.js';
import { startPipeline, waitForEvent } from './pipeline.js';

useTestEnv();
const child = fileURLToPath(new URL('./pipeline-child.js', import.meta.url));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function gitOut(dir: string, args: string[]): Promise<string> {
  return (await git(dir, args)).stdout.trim();
}

test('a burst of 100 files becomes one commit, with the message git-annex gives it', async (t) => {
  const dir = await makeRepo(t, { description: 'laptop' });
  // A longer quiet delay than the default, so that a loaded machine pausing the writer does not split the burst.
  const p = await startPipeline(dir, { quietMs: 1000, maxWaitMs: 10_000 });
  t.after(() => p.close());
  await mkdir(join(dir, 'docs'));
  for (let i = 0; i < 100; i++) await writeFile(join(dir, 'docs', `f${String(i).padStart(3, '0')}.txt`), `file ${i}\n`);
  const committed = await waitForEvent(p.bus, 'committed');
  assert.equal(committed.added, 100);
  assert.equal(committed.deleted, 0);
  assert.equal(committed.message, 'git-annex in laptop');
  assert.equal(await gitOut(dir, ['rev-list', '--count', committed.commit]), '1');
  assert.equal((await gitOut(dir, ['ls-tree', '-r', '--name-only', committed.commit])).split('\n').length, 100);
  assert.equal(await gitOut(dir, ['log', '-1', '--format=%s', committed.commit]), 'git-annex in laptop');
});

test("a large file held open for writing is not committed until its writer closes it", async (t) => {
  const dir = await makeRepo(t);
  const p = await startPipeline(dir);
  t.after(() => p.close());
  const first = bytes(1, 2 * 2 ** 20);
  const rest = bytes(2, 1000);
  const parts = await tempDir(t);
  await writeFile(join(parts, 'first'), first);
  await writeFile(join(parts, 'rest'), rest);
  // Writes 2 MiB, says so, and keeps the file open until SIGUSR1 tells it to write the rest and close it.
  const writer = start(dir, process.execPath, ['-e', `
    const fs = require('fs');
    const fd = fs.openSync('big.bin', 'w');
    fs.writeSync(fd, fs.readFileSync(${JSON.stringify(join(parts, 'first'))}));
    const alive = setInterval(() => {}, 1000);
    process.on('SIGUSR1', () => {
      fs.writeSync(fd, fs.readFileSync(${JSON.stringify(join(parts, 'rest'))}));
      fs.closeSync(fd);
      clearInterval(alive);
    });
    process.stdout.write('written\\n');`]);
  t.after(() => { writer.child.kill('SIGKILL'); });
  await new Promise<void>((resolve) => writer.child.stdout!.once('data', () => resolve()));
  const deferred = await waitForEvent(p.bus, 'file-deferred', (e) => e.path === 'big.bin' && e.reason === 'open for writing');
  assert.equal(await gitOut(dir, ['rev-list', '--all', '--count', '--', 'big.bin']), '0');
  writer.child.kill('SIGUSR1');
  await writer.done;
  await waitForEvent(p.bus, 'committed', () => true, deferred.id);
  assert.equal(await gitOut(dir, ['rev-list', '--count', 'HEAD', '--', 'big.bin']), '1', 'committed once, complete');
  const final = Buffer.concat([first, rest]);
  assert.equal(sha256(await readFile(join(dir, 'big.bin'))), sha256(final));
  assert.match(await readlink(join(dir, 'big.bin')), new RegExp(`SHA256E-s${final.length}--${sha256(final)}\\.bin$`));
});

test('a file changed while it is hashed is deferred, then committed as it ends up', async (t) => {
  const dir = await makeRepo(t);
  const events: AssistantEvent[] = [];
  const waiters: (() => void)[] = [];
  // Stopped (SIGSTOP) right after hashing the first file, so the test can change it at exactly that moment.
  const proc = start(dir, process.execPath, [child, dir], { env: { FERRY_TEST_STOP: 'hashed:1' }, expect: [] });
  t.after(() => { proc.child.kill('SIGKILL'); });
  createInterface({ input: proc.child.stdout! }).on('line', (l) => {
    events.push(JSON.parse(l) as AssistantEvent);
    for (const w of waiters.splice(0)) w();
  });
  const until = async (fits: (e: AssistantEvent) => boolean, what: string) => {
    const end = Date.now() + 60_000;
    while (!events.some(fits)) {
      if (Date.now() > end) throw new Error(`no ${what} within 60 s: ${JSON.stringify(events)}`);
      await new Promise<void>((r) => {
        const timer = setTimeout(r, end - Date.now());
        waiters.push(() => { clearTimeout(timer); r(); });
      });
    }
  };
  await until((e) => (e.type as string) === 'ready', 'ready');
  await writeFile(join(dir, 'doc.txt'), 'first version\n');
  await waitUntilStopped(proc.child.pid!, 60_000);
  await appendFile(join(dir, 'doc.txt'), 'second line, written during the hash\n');
  proc.child.kill('SIGCONT');
  await until((e) => e.type === 'file-deferred' && e.path === 'doc.txt' && e.reason === 'changed while hashed', 'deferral');
  await until((e) => e.type === 'committed', 'commit');
  assert.equal(events.filter((e) => e.type === 'error').length, 0, JSON.stringify(events));
  const final = Buffer.from('first version\nsecond line, written during the hash\n');
  assert.match(await gitOut(dir, ['cat-file', '-p', 'HEAD:doc.txt']), new RegExp(`SHA256E-s${final.length}--${sha256(final)}\\.txt$`));
  assert.equal(sha256(await readFile(join(dir, 'doc.txt'))), sha256(final));
  proc.child.kill('SIGTERM');
  await proc.done;
});

test("a locked file moved to another directory is committed with its link fixed", async (t) => {
  const dir = await makeRepo(t);
  const p = await startPipeline(dir);
  t.after(() => p.close());
  const content = bytes(3, 5000);
  await writeFile(join(dir, 'photo.jpg'), content);
  const added = await waitForEvent(p.bus, 'committed');
  const link = await gitOut(dir, ['cat-file', '-p', `${added.commit}:photo.jpg`]);
  assert.match(link, /^\.git\/annex\/objects\//);
  await mkdir(join(dir, 'album', '2024'), { recursive: true });
  await rename(join(dir, 'photo.jpg'), join(dir, 'album', '2024', 'photo.jpg'));
  // The move may reach the committer as one batch or two (the new directories are watched as they appear).
  let moved = await waitForEvent(p.bus, 'committed', () => true, added.id);
  while (await gitOut(dir, ['ls-tree', '--name-only', moved.commit, 'photo.jpg']) !== '') {
    moved = await waitForEvent(p.bus, 'committed', () => true, moved.id);
  }
  const commits = p.bus.since(added.id).events.filter((e) => e.type === 'committed');
  assert.equal(commits.reduce((n, e) => n + e.deleted, 0), 1);
  assert.equal(await gitOut(dir, ['cat-file', '-p', `${moved.commit}:album/2024/photo.jpg`]), `../../${link}`);
  assert.equal(await readlink(join(dir, 'album', '2024', 'photo.jpg')), `../../${link}`);
  assert.equal(sha256(await readFile(join(dir, 'album', '2024', 'photo.jpg'))), sha256(content));
  assert.equal(await gitOut(dir, ['ls-tree', '--name-only', moved.commit, 'photo.jpg']), '');
});
