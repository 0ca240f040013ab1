// --auto (get, copy, drop) and required content, decided side by side with git-annex: a ferry clone and a
// git-annex clone of the same origin get the same settings (written by git-annex's own commands) and must
// move exactly the same files.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { bytes, makeRepo, writeTree } from '../helpers/repo.js';
import { ferry, git, gitAnnex, jsonLines } from '../helpers/run.js';
import type { RunResult } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

type Tool = 'ferry' | 'git-annex';
const TOOLS: readonly Tool[] = ['ferry', 'git-annex'];

/** An origin (git-annex) with three files, and one clone per tool. */
async function clones(t: { after(fn: () => unknown): void }): Promise<Record<Tool, string>> {
  const origin = await makeRepo(t, { init: 'git-annex', description: 'origin', files: { 'a.txt': 'alpha\n', 'b.txt': 'beta\n', 'big.bin': bytes(3, 200_000) } });
  await gitAnnex(origin, ['add', '-q', '.']);
  await git(origin, ['commit', '-q', '-m', 'add']);
  const base = await tempDir(t);
  const dirs: Record<Tool, string> = { ferry: join(base, 'ferry'), 'git-annex': join(base, 'git-annex') };
  for (const tool of TOOLS) {
    const dir = dirs[tool];
    await git(origin, ['clone', '-q', origin, dir]);
    if (tool === 'ferry') await ferry(dir, ['init', 'ferry clone']);
    else await gitAnnex(dir, ['init', '-q', 'git-annex clone']);
  }
  return dirs;
}

function run(tool: Tool, dir: string, args: readonly string[]): Promise<RunResult> {
  return tool === 'ferry' ? ferry(dir, args, { expect: [0, 1] }) : gitAnnex(dir, args, { expect: [0, 1] });
}

/** [file, success] of each JSON record of `args` (with --json added), per tool. */
async function outcomes(dirs: Record<Tool, string>, args: readonly string[]): Promise<Record<Tool, [unknown, unknown][]>> {
  const out = {} as Record<Tool, [unknown, unknown][]>;
  for (const tool of TOOLS) {
    const r = await run(tool, dirs[tool], [...args, '--json']);
    out[tool] = jsonLines(r.stdout).map((j) => [j.file, j.success]);
  }
  return out;
}

async function both(dirs: Record<Tool, string>, args: readonly string[]): Promise<void> {
  for (const tool of TOOLS) await gitAnnex(dirs[tool], args);
}

test('get --auto takes what this repository wants, or what numcopies lacks', async (t) => {
  const dirs = await clones(t);
  await both(dirs, ['wanted', 'here', 'include=*.txt']);
  const wanted = await outcomes(dirs, ['get', '--auto', '.']);
  assert.deepEqual(wanted.ferry, [['a.txt', true], ['b.txt', true]]);
  assert.deepEqual(wanted.ferry, wanted['git-annex']);

  await both(dirs, ['numcopies', '2']);
  const lacking = await outcomes(dirs, ['get', '--auto', '.']);
  assert.deepEqual(lacking.ferry, [['big.bin', true]], 'one copy of big.bin, two needed: fetched though not wanted');
  assert.deepEqual(lacking.ferry, lacking['git-annex']);
});

test('copy --auto --to sends what the remote wants; drop --auto drops what is unwanted and safe', async (t) => {
  const dirs = await clones(t);
  for (const tool of TOOLS) {
    await writeTree(dirs[tool], { 'new.txt': `new from ${tool}\n`, 'other.dat': `other from ${tool}\n` });
    if (tool === 'ferry') await ferry(dirs[tool], ['add', 'new.txt', 'other.dat']);
    else await gitAnnex(dirs[tool], ['add', '-q', 'new.txt', 'other.dat']);
  }
  await both(dirs, ['wanted', 'origin', 'include=new*']);
  const sent = await outcomes(dirs, ['copy', '--auto', '--to', 'origin', '.']);
  assert.deepEqual(sent.ferry, [['new.txt', true]]);
  assert.deepEqual(sent.ferry, sent['git-annex']);

  await run('ferry', dirs.ferry, ['get', '.']);
  await gitAnnex(dirs['git-annex'], ['get', '-q', '.']);
  await both(dirs, ['wanted', 'here', 'exclude=big.bin and exclude=new.txt']);
  const dropped = await outcomes(dirs, ['drop', '--auto', '.']);
  // big.bin and new.txt are unwanted here and have a copy on origin; other.dat is unwanted nowhere.
  assert.deepEqual(dropped.ferry, [['big.bin', true], ['new.txt', true]]);
  assert.deepEqual(dropped.ferry, dropped['git-annex']);

  await both(dirs, ['numcopies', '2']);
  await both(dirs, ['wanted', 'here', 'exclude=*']);
  const tooFew = await outcomes(dirs, ['drop', '--auto', '.']);
  assert.deepEqual(tooFew.ferry, [], 'with numcopies 2 and one other copy, --auto does not even try');
  assert.deepEqual(tooFew.ferry, tooFew['git-annex']);
  // What is here is still right (numcopies 2 is not met by the fixture: fsck checks it at 1).
  for (const tool of TOOLS) await gitAnnex(dirs[tool], ['fsck', '--quiet', '--numcopies', '1']);
});

test('required content refuses a drop in git-annex\'s words; --force overrides it', async (t) => {
  const dirs = await clones(t);
  await run('ferry', dirs.ferry, ['get', 'a.txt']);
  await gitAnnex(dirs['git-annex'], ['get', '-q', 'a.txt']);
  await both(dirs, ['required', 'here', 'include=a.txt']);
  const notes = {} as Record<Tool, unknown>;
  for (const tool of TOOLS) {
    const r = await run(tool, dirs[tool], ['drop', '--json', 'a.txt']);
    assert.equal(r.code, 1, `${tool} refuses`);
    const [record] = jsonLines(r.stdout);
    assert.equal(record?.success, false);
    notes[tool] = record?.note;
  }
  assert.equal(notes.ferry, notes['git-annex']);
  const text = await run('ferry', dirs.ferry, ['drop', 'a.txt']);
  assert.match(text.stdout, /drop a\.txt\n {2}That file is required content\. It cannot be dropped!\n\n {2}\(Use --force/);
  assert.equal((await run('ferry', dirs.ferry, ['find', 'a.txt'])).stdout, 'a.txt\n', 'still here');

  await ferry(dirs.ferry, ['drop', '--force', 'a.txt'], { expect: [0] });
  assert.equal((await run('ferry', dirs.ferry, ['find', 'a.txt'])).stdout, '');
});
