import assert from 'node:assert/strict';
import { lstatSync } from 'node:fs';
import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { SelfWrites } from '../../src/assistant/index.js';
import { useTestEnv } from '../helpers/env.js';
import { makeRepo } from '../helpers/repo.js';
import { git, run, start } from '../helpers/run.js';
import { reportedPaths, startPipeline, waitForBatchWith } from './pipeline.js';

useTestEnv();
const child = fileURLToPath(new URL('./pipeline-child.js', import.meta.url));

test('the default ignore list and .gitignore are honoured, .git is never reported', async (t) => {
  const dir = await makeRepo(t, { files: { '.gitignore': 'build/\nsecret.txt\n' } });
  const p = await startPipeline(dir, { watchOnly: true });
  t.after(() => p.close());
  const junk = ['.#notes.txt', 'notes.txt~', '.notes.txt.swp', '.notes.txt.swx', '4913', 'x.tmp', 'film.mkv.part',
    'big.iso.crdownload', 'a.zip.download', '.~lock.report.odt#', 'secret.txt', 'build/out.o'];
  await mkdir(join(dir, 'build'));
  for (const f of junk) await writeFile(join(dir, f), 'junk');
  await writeFile(join(dir, 'notes.txt'), 'kept');
  await git(dir, ['config', 'user.name', 'Someone']); // writes .git/config
  await writeFile(join(dir, 'last.txt'), 'the last event');
  await waitForBatchWith(p, 'last.txt');
  const seen = reportedPaths(p);
  assert.ok(seen.has('notes.txt') && seen.has('.gitignore'), [...seen].join(' '));
  for (const f of junk) assert.equal(seen.has(f), false, `${f} was reported`);
  assert.equal([...seen].some((s) => s.startsWith('.git/') || s === '.git' || s === 'build'), false, [...seen].join(' '));
});

test("a path ferry is writing is not reported; the user's edit right after it is", async (t) => {
  const dir = await makeRepo(t);
  const selfWrites = new SelfWrites();
  const p = await startPipeline(dir, { watchOnly: true, selfWrites });
  t.after(() => p.close());
  const abs = join(dir, 'own.txt');
  const done = selfWrites.begin('own.txt');
  await writeFile(abs, 'written by ferry');
  const st = lstatSync(abs);
  done({ size: st.size, mtimeMs: st.mtimeMs, ino: st.ino });
  await writeFile(join(dir, 'first.txt'), 'after ferry\'s write');
  await waitForBatchWith(p, 'first.txt');
  assert.equal(reportedPaths(p).has('own.txt'), false, 'ferry\'s own write was taken for the user\'s');
  await appendFile(abs, ' and then by the user');
  await waitForBatchWith(p, 'own.txt');
});

test('the catch-up scan at start reports what changed while nobody watched', async (t) => {
  const dir = await makeRepo(t, { init: 'none', files: { 'kept.txt': 'one', 'edited.txt': 'one', 'removed.txt': 'one', 'staged.txt': 'x' } });
  await git(dir, ['add', 'kept.txt', 'edited.txt', 'removed.txt']);
  await git(dir, ['commit', '-q', '-m', 'start']);
  await run(dir, 'ferry', ['init', 'catch-up']);
  const first = await startPipeline(dir, { watchOnly: true });
  await first.close();
  await writeFile(join(dir, 'offline.txt'), 'made while the watcher was off');
  await writeFile(join(dir, 'edited.txt'), 'two, longer');
  await rm(join(dir, 'removed.txt'));
  await git(dir, ['add', 'staged.txt']);
  await writeFile(join(dir, 'x.tmp'), 'junk');
  const second = await startPipeline(dir, { watchOnly: true });
  t.after(() => second.close());
  await waitForBatchWith(second, 'offline.txt');
  const scanned = second.batches.find((b) => b.scan);
  assert.ok(scanned, 'the first batch comes from the scan');
  assert.deepEqual([...scanned.paths].sort(), ['edited.txt', 'offline.txt', 'removed.txt', 'staged.txt']);
});

test('running out of inotify watches is a clear error naming fs.inotify.max_user_watches', async (t) => {
  const probe = await run('/', 'unshare', ['--user', '--map-root-user', 'sh', '-c', 'echo 5 > /proc/sys/user/max_inotify_watches'], { expect: [] });
  if (probe.code !== 0) {
    t.skip(`reason: no user namespace with its own inotify limit here (${probe.stderr.trim()})`);
    return;
  }
  const dir = await makeRepo(t);
  for (let i = 0; i < 10; i++) await mkdir(join(dir, `d${i}`, 'sub'), { recursive: true });
  const started = start(dir, 'unshare', ['--user', '--map-root-user', 'sh', '-c',
    `echo 5 > /proc/sys/user/max_inotify_watches && exec "${process.execPath}" "${child}" "${dir}"`], { expect: [1] });
  const { stdout } = await started.done;
  const line = JSON.parse(stdout.trim().split('\n').pop()!) as { type: string; code: string; message: string; hint: string };
  assert.equal(line.type, 'start-failed', stdout);
  assert.equal(line.code, 'WatchLimitError');
  assert.match(line.message, /fs\.inotify\.max_user_watches/);
  assert.match(line.hint, /sysctl fs\.inotify\.max_user_watches=\d+/);
});
