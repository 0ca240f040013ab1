import assert from 'node:assert/strict';
import { lstat, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeTree } from '../helpers/repo.js';
import { ferry, git, gitAnnex } from '../helpers/run.js';
import type { RunResult } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { byFile, copiesOf, uuidOf, whereisJson } from './repo-checks.js';
import type { Tool } from './repo-checks.js';

type T = { after(fn: () => unknown): void };

/**
 * A bare origin, a ferry clone F that adds a locked and an unlocked file and syncs, then a git-annex clone G
 * of that history (two clones that each began a history would be unrelated, which sync refuses).
 */
async function mixedClones(t: T): Promise<{ origin: string; f: string; g: string }> {
  const root = await tempDir(t);
  const origin = join(root, 'origin.git');
  await git(root, ['init', '-q', '--bare', origin]);
  const f = join(root, 'F');
  const g = join(root, 'G');
  await git(root, ['clone', '-q', origin, f]);
  await ferry(f, ['init', 'ferry clone']);
  await writeTree(f, { 'f-locked.txt': 'ferry locked\n', 'f-unlocked.txt': 'ferry unlocked\n' });
  await ferry(f, ['add', 'f-locked.txt']);
  await ferry(f, ['add', '--unlocked', 'f-unlocked.txt']);
  await sync('ferry', f);
  await git(root, ['clone', '-q', origin, g]);
  await gitAnnex(g, ['init', '-q', 'annex clone']);
  return { origin, f, g };
}

function sync(tool: Tool, dir: string, args: readonly string[] = []): Promise<RunResult> {
  return tool === 'ferry' ? ferry(dir, ['sync', ...args]) : gitAnnex(dir, ['sync', ...args]);
}

async function files(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n !== '.git').sort();
}

async function clean(dir: string): Promise<void> {
  assert.equal((await git(dir, ['status', '--porcelain'])).stdout, '', `${dir}: clean work tree`);
}

async function fsckBoth(dir: string): Promise<void> {
  await gitAnnex(dir, ['fsck', '--quiet']);
  await ferry(dir, ['fsck']);
}

/** G adds a locked and an unlocked file; G syncs, then F, so both have everything. */
async function addAndSync(f: string, g: string): Promise<void> {
  await writeTree(g, { 'g-locked.txt': 'annex locked\n', 'g-unlocked.txt': 'annex unlocked\n' });
  await gitAnnex(g, ['add', '-q', 'g-locked.txt', 'g-unlocked.txt']);
  await gitAnnex(g, ['unlock', '-q', 'g-unlocked.txt']);
  await sync('git-annex', g);
  await sync('ferry', f);
}

const ALL = ['f-locked.txt', 'f-unlocked.txt', 'g-locked.txt', 'g-unlocked.txt'];

test('a ferry clone and a git-annex clone sync through a bare repository and see each other\'s files', async (t) => {
  const { f, g } = await mixedClones(t);
  await addAndSync(f, g);
  assert.deepEqual(await files(f), ALL);
  assert.deepEqual(await files(g), ALL);
  for (const dir of [f, g]) {
    assert.ok((await lstat(join(dir, 'f-locked.txt'))).isSymbolicLink());
    assert.ok((await lstat(join(dir, 'g-locked.txt'))).isSymbolicLink());
    assert.ok((await lstat(join(dir, 'f-unlocked.txt'))).isFile());
    assert.ok((await lstat(join(dir, 'g-unlocked.txt'))).isFile());
  }
  const [uf, ug] = [await uuidOf(f), await uuidOf(g)];
  // Each sees where the content is, with either tool's whereis.
  for (const dir of [f, g]) {
    for (const tool of ['ferry', 'git-annex'] as const) {
      const records = byFile(await whereisJson(tool, dir));
      for (const name of ALL) {
        const owner = name.startsWith('f-') ? uf : ug;
        assert.deepEqual(copiesOf(records.get(name)).map((c) => c.uuid), [owner], `${tool} whereis ${name} in ${dir}`);
      }
    }
  }
  await clean(f);
  await clean(g);
  await fsckBoth(f);
  await fsckBoth(g);
});

test('sync --content between ferry and git-annex brings every file\'s content to both, logged on both', async (t) => {
  const { origin, f, g } = await mixedClones(t);
  await addAndSync(f, g);
  await sync('ferry', f, ['--content']);
  await sync('git-annex', g, ['--content']);
  await sync('ferry', f, ['--content']);
  await sync('git-annex', g);
  const uuids = [await uuidOf(f), await uuidOf(g), await uuidOf(origin)].sort();
  for (const dir of [f, g]) {
    for (const name of ALL) {
      const expected = name.endsWith('unlocked.txt') ? (name.startsWith('f-') ? 'ferry unlocked\n' : 'annex unlocked\n')
        : (name.startsWith('f-') ? 'ferry locked\n' : 'annex locked\n');
      assert.equal(await readFile(join(dir, name), 'utf8'), expected, `${name} in ${dir}`);
    }
    for (const tool of ['ferry', 'git-annex'] as const) {
      const records = byFile(await whereisJson(tool, dir));
      for (const name of ALL) assert.deepEqual(copiesOf(records.get(name)).map((c) => c.uuid), uuids, `${tool} whereis ${name} in ${dir}`);
    }
    await clean(dir);
    await fsckBoth(dir);
  }
  await gitAnnex(origin, ['fsck', '--quiet']);
});

test('conflicting edits give the same two variants on the ferry side and the git-annex side', async (t) => {
  const { f, g } = await mixedClones(t);
  await addAndSync(f, g);
  for (const tool of ['ferry', 'git-annex'] as const) await sync(tool, tool === 'ferry' ? f : g, ['--content']);
  // Both edit the unlocked file and replace the locked one.
  await writeFile(join(f, 'f-unlocked.txt'), 'edited by ferry\n');
  await rm(join(f, 'g-locked.txt'));
  await writeTree(f, { 'g-locked.txt': 'replaced by ferry\n' });
  await ferry(f, ['add', 'g-locked.txt']);
  await writeFile(join(g, 'f-unlocked.txt'), 'edited by git-annex\n');
  await rm(join(g, 'g-locked.txt'));
  await writeTree(g, { 'g-locked.txt': 'replaced by git-annex\n' });
  await gitAnnex(g, ['add', '-q', 'g-locked.txt']);

  await sync('git-annex', g, ['--content']);
  const resolved = await sync('ferry', f, ['--content']);
  assert.match(resolved.stdout, /Merge conflict was automatically resolved/);
  await sync('git-annex', g, ['--content']);
  await sync('ferry', f, ['--content']);
  const names = await files(f);
  assert.deepEqual(await files(g), names, 'the same names on both sides');
  assert.equal(names.filter((n) => /^f-unlocked\.variant-[0-9a-f]{4}\.txt$/.test(n)).length, 2, names.join(' '));
  assert.equal(names.filter((n) => /^g-locked\.variant-[0-9a-f]{4}\.txt$/.test(n)).length, 2, names.join(' '));
  assert.ok(!names.includes('f-unlocked.txt') && !names.includes('g-locked.txt'));
  for (const dir of [f, g]) {
    const texts = await Promise.all(names.filter((n) => n.includes('.variant-')).map((n) => readFile(join(dir, n), 'utf8')));
    assert.deepEqual(texts.sort(), ['edited by ferry\n', 'edited by git-annex\n', 'replaced by ferry\n', 'replaced by git-annex\n'], `nothing lost in ${dir}`);
    await clean(dir);
    await fsckBoth(dir);
  }
  // Both merge commits resolve to the same tree.
  assert.equal((await git(f, ['rev-parse', 'HEAD^{tree}'])).stdout, (await git(g, ['rev-parse', 'HEAD^{tree}'])).stdout);
});

test('git-annex resolves a conflict ferry made the same way ferry does (git-annex merges, ferry pushed)', async (t) => {
  const { f, g } = await mixedClones(t);
  await addAndSync(f, g);
  await writeFile(join(f, 'f-unlocked.txt'), 'ferry side\n');
  await sync('ferry', f);
  await gitAnnex(g, ['unlock', '-q', 'f-unlocked.txt']).catch(() => undefined);
  await writeFile(join(g, 'f-unlocked.txt'), 'annex side\n');
  const r = await sync('git-annex', g);
  assert.match(r.stdout, /Merge conflict was automatically resolved/);
  await sync('ferry', f);
  const names = await files(f);
  assert.deepEqual(await files(g), names);
  assert.equal(names.filter((n) => n.startsWith('f-unlocked.variant-')).length, 2, names.join(' '));
  await clean(f);
  await fsckBoth(f);
});

test('an edit against a deletion resolves the same way whichever tool merges it', async (t) => {
  const outcomes: string[][] = [];
  for (const merger of ['ferry', 'git-annex'] as const) {
    const { f, g } = await mixedClones(t);
    await sync('git-annex', g);
    const [deleter, editor] = merger === 'ferry' ? [g, f] : [f, g];
    await git(deleter, ['rm', '-q', 'f-unlocked.txt']);
    await writeFile(join(editor, 'f-unlocked.txt'), 'edited\n');
    await sync(merger === 'ferry' ? 'git-annex' : 'ferry', deleter);
    const r = await sync(merger, editor);
    assert.match(r.stdout, /Merge conflict was automatically resolved/, `${merger} resolved it`);
    await sync(merger === 'ferry' ? 'git-annex' : 'ferry', deleter);
    assert.deepEqual(await files(deleter), await files(editor));
    assert.equal(await readFile(join(editor, (await files(editor)).find((n) => n.startsWith('f-unlocked.variant-'))!), 'utf8'), 'edited\n');
    await clean(editor);
    outcomes.push(await files(editor));
  }
  assert.deepEqual(outcomes[0], outcomes[1], 'the same names either way');
  assert.ok(outcomes[0]!.some((n) => /^f-unlocked\.variant-[0-9a-f]{4}\.txt$/.test(n)), outcomes[0]!.join(' '));
});

test('git-annex pushing into a non-bare ferry clone: ferry merges the synced branch it was given', async (t) => {
  const { f, g } = await mixedClones(t);
  await git(g, ['remote', 'add', 'f', f]);
  await writeTree(g, { 'from-g.txt': 'from g\n' });
  await gitAnnex(g, ['add', '-q', 'from-g.txt']);
  await gitAnnex(g, ['sync', '-q', 'f']);
  assert.ok(!(await files(f)).includes('from-g.txt'), 'F\'s checked-out branch was left alone');
  const r = await ferry(f, ['sync', '--no-pull', '--no-push']);
  assert.match(r.stdout, /^merge synced\/main$/m);
  assert.ok((await files(f)).includes('from-g.txt'));
  assert.deepEqual(copiesOf(byFile(await whereisJson('ferry', f)).get('from-g.txt')).map((c) => c.uuid), [await uuidOf(g)]);
  await clean(f);
  await fsckBoth(f);
});
