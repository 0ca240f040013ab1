import assert from 'node:assert/strict';
import { lstat, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeRepo, writeTree } from '../helpers/repo.js';
import { ferry, git, gitAnnex, jsonLines } from '../helpers/run.js';
import type { RunResult } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

type T = { after(fn: () => unknown): void };

/** A bare origin and `names` ferry clones of it (the first has committed nothing yet). */
async function cloneSet(t: T, names: readonly string[]): Promise<{ origin: string; clones: string[] }> {
  const root = await tempDir(t);
  const origin = join(root, 'origin.git');
  await git(root, ['init', '-q', '--bare', origin]);
  const clones: string[] = [];
  for (const name of names) {
    const dir = join(root, name);
    await git(root, ['clone', '-q', origin, dir]);
    await ferry(dir, ['init', name]);
    clones.push(dir);
  }
  return { origin, clones };
}

async function refs(dir: string): Promise<Map<string, string>> {
  const out = (await git(dir, ['for-each-ref', '--format=%(refname) %(objectname)'])).stdout;
  return new Map(out.split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]));
}

async function uuidOf(dir: string): Promise<string> {
  return (await git(dir, ['config', 'annex.uuid'])).stdout.trim();
}

async function whereis(dir: string, file: string): Promise<string[]> {
  const [r] = jsonLines((await ferry(dir, ['whereis', '--json', file], { expect: [0, 1] })).stdout);
  return ((r?.whereis ?? []) as { uuid: string }[]).map((w) => w.uuid).sort();
}

/** The step lines of a sync's stdout ("commit", "pull origin", "ok", ...), git's own output left out. */
function steps(r: RunResult): string[] {
  return r.stdout.split('\n').filter((l) => /^(commit|merge \S+|pull \S+|push \S+|ok|failed)$/.test(l));
}

async function files(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f !== '.git').sort();
}

async function clean(dir: string): Promise<void> {
  assert.equal((await git(dir, ['status', '--porcelain'])).stdout, '', `${dir} has a clean work tree`);
}

test('sync commits, pulls and pushes through a bare repository, one push per remote', async (t) => {
  const { origin, clones: [a, b] } = await cloneSet(t, ['A', 'B']);
  await writeTree(a!, { 'locked.txt': 'locked\n', 'unlocked.txt': 'unlocked\n' });
  await ferry(a!, ['add', 'locked.txt']);
  await ferry(a!, ['add', '--unlocked', 'unlocked.txt']);
  const trace = join(await tempDir(t), 'trace');
  const first = await ferry(a!, ['sync'], { env: { GIT_TRACE: trace } });
  assert.deepEqual(steps(first), ['commit', 'ok', 'pull origin', 'ok', 'push origin', 'ok']);
  assert.match(first.stdout, /git-annex in A/);
  assert.match(first.stderr, /\* \[new branch\] +main -> synced\/main/);
  const pushes = (await readFile(trace, 'utf8')).split('\n').filter((l) => /built-in: git push /.test(l));
  assert.equal(pushes.length, 1, `one git push: ${pushes.join('\n')}`);
  const originRefs = await refs(origin);
  const aRefs = await refs(a!);
  for (const ref of ['refs/heads/main', 'refs/heads/synced/main']) assert.equal(originRefs.get(ref), aRefs.get('refs/heads/main'), ref);
  for (const ref of ['refs/heads/git-annex', 'refs/heads/synced/git-annex']) assert.equal(originRefs.get(ref), aRefs.get('refs/heads/git-annex'), ref);

  const second = await ferry(b!, ['sync']);
  assert.deepEqual(steps(second), ['commit', 'ok', 'pull origin', 'ok', 'push origin', 'ok']);
  assert.deepEqual(await files(b!), ['locked.txt', 'unlocked.txt']);
  assert.ok((await lstat(join(b!, 'locked.txt'))).isSymbolicLink());
  assert.match(await readFile(join(b!, 'unlocked.txt'), 'utf8'), /^\/annex\/objects\/SHA256E-/);
  assert.deepEqual(await whereis(b!, 'locked.txt'), [await uuidOf(a!)], 'B learnt where the content is');
  // Like git-annex, B initialised origin (which now has a git-annex branch) and recorded its uuid.
  assert.equal((await git(b!, ['config', 'remote.origin.annex-uuid'])).stdout.trim(), await uuidOf(origin));
  await clean(b!);
  // A learns of B through origin's synced/git-annex; nothing new to push then.
  const third = await ferry(a!, ['sync']);
  assert.deepEqual(steps(third), ['commit', 'ok', 'pull origin', 'ok']);
  assert.match((await git(a!, ['show', 'git-annex:uuid.log'])).stdout, new RegExp(`^${await uuidOf(b!)} B `, 'm'));
});

test('between non-bare clones, the checked-out branch is left alone and synced/BRANCH carries the change', async (t) => {
  const { clones: [a, b] } = await cloneSet(t, ['A', 'B']);
  await git(a!, ['remote', 'add', 'b', b!]);
  await git(b!, ['remote', 'add', 'a', a!]);
  await writeTree(a!, { 'one.txt': 'one\n' });
  await ferry(a!, ['add', 'one.txt']);
  await ferry(a!, ['sync', 'b']);
  const bRefs = await refs(b!);
  assert.equal(bRefs.get('refs/heads/synced/main'), (await refs(a!)).get('refs/heads/main'));
  assert.deepEqual(await files(b!), [], 'B\'s work tree is untouched until it syncs');
  const r = await ferry(b!, ['sync', '--no-push']);
  assert.ok(steps(r).includes('merge synced/main'), r.stdout);
  assert.deepEqual(await files(b!), ['one.txt']);
  await clean(b!);
});

test('--no-push, --no-pull and -m do what they say', async (t) => {
  const { origin, clones: [a, b] } = await cloneSet(t, ['A', 'B']);
  await writeTree(a!, { 'x.txt': 'x\n' });
  await ferry(a!, ['add', 'x.txt']);
  const noPush = await ferry(a!, ['sync', '--no-push', '-m', 'my message']);
  assert.deepEqual(steps(noPush), ['commit', 'ok', 'pull origin', 'ok']);
  assert.equal((await git(a!, ['log', '-1', '--format=%s'])).stdout.trim(), 'my message');
  assert.equal((await refs(origin)).get('refs/heads/synced/main'), undefined, 'nothing pushed');
  const noPull = await ferry(a!, ['sync', '--no-pull']);
  assert.deepEqual(steps(noPull), ['commit', 'ok', 'push origin', 'ok']);
  assert.ok((await refs(origin)).has('refs/heads/synced/main'));
  // B changes something and pushes; A with --no-pull neither fetches nor merges it.
  await ferry(b!, ['sync']);
  await writeTree(b!, { 'y.txt': 'y\n' });
  await ferry(b!, ['add', 'y.txt']);
  await ferry(b!, ['sync']);
  await ferry(a!, ['sync', '--no-pull', '--no-push']);
  assert.deepEqual(await files(a!), ['x.txt']);
  await ferry(a!, ['sync', '--no-commit']);
  assert.deepEqual(await files(a!), ['x.txt', 'y.txt']);
});

test('deletions and renames propagate', async (t) => {
  const { clones: [a, b] } = await cloneSet(t, ['A', 'B']);
  await writeTree(a!, { 'gone.txt': 'gone\n', 'old.txt': 'old\n', 'dir/u.txt': 'unlocked\n' });
  await ferry(a!, ['add', 'gone.txt', 'old.txt']);
  await ferry(a!, ['add', '--unlocked', 'dir/u.txt']);
  await ferry(a!, ['sync']);
  await ferry(a!, ['sync', '--content']);
  await ferry(b!, ['sync']);
  assert.deepEqual(await files(b!), ['dir', 'gone.txt', 'old.txt']);
  await rm(join(a!, 'gone.txt'));
  await git(a!, ['mv', 'old.txt', 'new.txt']);
  await git(a!, ['mv', 'dir', 'moved']);
  await ferry(a!, ['sync']);
  await ferry(b!, ['sync']);
  assert.deepEqual(await files(b!), ['moved', 'new.txt']);
  assert.deepEqual(await readdir(join(b!, 'moved')), ['u.txt']);
  assert.ok((await lstat(join(b!, 'new.txt'))).isSymbolicLink());
  await ferry(b!, ['get', '.']);
  assert.equal(await readFile(join(b!, 'new.txt'), 'utf8'), 'old\n', 'the moved link still points at its content');
  assert.equal(await readFile(join(b!, 'moved/u.txt'), 'utf8'), 'unlocked\n');
  await clean(b!);
  await gitAnnex(b!, ['fsck', '--quiet']);
});

test('conflicting edits to annexed files keep both versions under git-annex\'s variant names', async (t) => {
  const { clones: [a, b] } = await cloneSet(t, ['A', 'B']);
  await writeTree(a!, { 'u.txt': 'base\n', 'l.bin': 'base\n' });
  await ferry(a!, ['add', '--unlocked', 'u.txt']);
  await ferry(a!, ['add', 'l.bin']);
  await ferry(a!, ['sync', '--content']);
  await ferry(b!, ['sync', '--content']);
  // Each side edits both files: u.txt in place (unlocked), l.bin replaced by a newly added locked file.
  for (const [dir, text] of [[a!, 'from A\n'], [b!, 'from B!\n']] as const) {
    await writeFile(join(dir, 'u.txt'), text);
    await rm(join(dir, 'l.bin'));
    await writeTree(dir, { 'l.bin': text });
    await ferry(dir, ['add', 'l.bin']);
  }
  await ferry(a!, ['sync', '--content']);
  const r = await ferry(b!, ['sync', '--content']);
  assert.match(r.stdout, /Merge conflict was automatically resolved/);
  assert.equal((await git(b!, ['log', '-1', '--format=%s'])).stdout.trim(), 'git-annex automatic merge conflict fix');
  await ferry(a!, ['sync', '--content']);
  const variants = await files(b!);
  assert.deepEqual(await files(a!), variants, 'both sides have the same names');
  assert.equal(variants.length, 4, variants.join(' '));
  for (const [base, ext] of [['u', 'txt'], ['l', 'bin']]) {
    const names = variants.filter((f) => f.startsWith(`${base}.variant-`));
    assert.equal(names.length, 2);
    for (const n of names) assert.match(n, new RegExp(`^${base}\\.variant-[0-9a-f]{4}\\.${ext}$`));
    const texts = await Promise.all(names.map((n) => readFile(join(b!, n), 'utf8')));
    assert.deepEqual(texts.sort(), ['from A\n', 'from B!\n'], 'nothing lost');
  }
  for (const n of variants.filter((f) => f.startsWith('l.'))) assert.ok((await lstat(join(a!, n))).isSymbolicLink(), 'locked stays locked');
  for (const n of variants.filter((f) => f.startsWith('u.'))) assert.ok((await lstat(join(a!, n))).isFile(), 'unlocked stays unlocked');
  await clean(a!);
  await clean(b!);
  await gitAnnex(a!, ['fsck', '--quiet']);
  await gitAnnex(b!, ['fsck', '--quiet']);
});

test('a sync killed before resolving a conflict leaves a merge that the next sync resolves into variants', async (t) => {
  const { clones: [a, b] } = await cloneSet(t, ['A', 'B']);
  await writeTree(a!, { 'u.txt': 'base\n' });
  await ferry(a!, ['add', '--unlocked', 'u.txt']);
  await ferry(a!, ['sync']);
  await ferry(a!, ['sync', '--content']);
  await ferry(b!, ['sync', '--content']);
  await writeFile(join(a!, 'u.txt'), 'from A\n');
  await ferry(a!, ['sync', '--content']);
  await writeFile(join(b!, 'u.txt'), 'from B!\n');
  const killed = await ferry(b!, ['sync', '--content'], { env: { FERRY_TEST_CRASH: 'merge-conflicted:1' }, expect: [] });
  assert.notEqual(killed.code, 0, 'killed at the checkpoint');
  assert.match((await git(b!, ['status', '--porcelain'])).stdout, /^UU u\.txt$/m, 'the merge was left in progress');
  const r = await ferry(b!, ['sync', '--content']);
  assert.match(r.stdout, /Merge conflict was automatically resolved/);
  const names = await files(b!);
  assert.equal(names.length, 2, names.join(' '));
  const texts = await Promise.all(names.map((n) => readFile(join(b!, n), 'utf8')));
  assert.deepEqual(texts.sort(), ['from A\n', 'from B!\n'], 'no conflict markers were annexed, nothing lost');
  assert.equal((await git(b!, ['rev-parse', '-q', '--verify', 'MERGE_HEAD'], { expect: [1] })).stdout, '');
  await clean(b!);
  await gitAnnex(b!, ['fsck', '--quiet']);
});

test('a conflict in a file git holds itself is reported and left for the user, not mangled', async (t) => {
  const { clones: [a, b] } = await cloneSet(t, ['A', 'B']);
  await writeTree(a!, { 'notes.txt': 'base\n' });
  await git(a!, ['add', 'notes.txt']);
  await ferry(a!, ['sync']);
  await ferry(b!, ['sync']);
  await writeFile(join(a!, 'notes.txt'), 'A\n');
  await ferry(a!, ['sync']);
  await writeFile(join(b!, 'notes.txt'), 'B\n');
  const r = await ferry(b!, ['sync'], { expect: [1] });
  assert.deepEqual(steps(r).slice(0, 4), ['commit', 'ok', 'pull origin', 'failed']);
  assert.match(r.stdout, /CONFLICT \(content\): Merge conflict in notes\.txt/);
  assert.match(r.stderr, /sync: \d+ failed/);
  assert.deepEqual(await files(b!), ['notes.txt'], 'no variants for a file git holds');
  assert.match(await readFile(join(b!, 'notes.txt'), 'utf8'), /^<<<<<<< HEAD\nB\n=======\nA\n>>>>>>> /);
});

test('unrelated histories are refused as git-annex refuses them, unless --allow-unrelated-histories', async (t) => {
  const { origin, clones: [a] } = await cloneSet(t, ['A']);
  await writeTree(a!, { 'a.txt': 'a\n' });
  await ferry(a!, ['add', 'a.txt']);
  await ferry(a!, ['sync']);
  const other = await makeRepo(t, { description: 'U', files: { 'u.txt': 'u\n' } });
  await ferry(other, ['add', 'u.txt']);
  await git(other, ['commit', '-q', '-m', 'unrelated']);
  await git(other, ['remote', 'add', 'origin', origin]);
  const refused = await ferry(other, ['sync'], { expect: [1] });
  assert.deepEqual(steps(refused), ['commit', 'ok', 'pull origin', 'failed', 'push origin', 'failed']);
  assert.match(refused.stderr, /fatal: refusing to merge unrelated histories/);
  assert.deepEqual(await files(other), ['u.txt']);
  const allowed = await ferry(other, ['sync', '--allow-unrelated-histories']);
  assert.deepEqual(steps(allowed), ['commit', 'ok', 'pull origin', 'ok', 'push origin', 'ok']);
  assert.deepEqual(await files(other), ['a.txt', 'u.txt']);
});

test('an unreachable remote fails only its own step', async (t) => {
  const { origin, clones: [a] } = await cloneSet(t, ['A']);
  await git(a!, ['remote', 'add', 'gone', join(origin, '..', 'no-such-repo')]);
  await git(a!, ['remote', 'add', 'plain', await tempDir(t)]);
  await writeTree(a!, { 'a.txt': 'a\n' });
  await ferry(a!, ['add', 'a.txt']);
  const r = await ferry(a!, ['sync'], { expect: [1] });
  assert.match(r.stderr, /Remote gone cannot currently be accessed\./);
  assert.match(r.stderr, /Remote plain cannot currently be accessed\./);
  assert.deepEqual(steps(r), ['commit', 'ok', 'pull origin', 'ok', 'push origin', 'ok']);
  assert.match(r.stderr, /sync: 2 failed/);
  assert.equal((await refs(origin)).get('refs/heads/synced/main'), (await refs(a!)).get('refs/heads/main'));
  const named = await ferry(a!, ['sync', 'nosuch'], { expect: [1, 2] });
  assert.match(named.stderr, /there is no available git remote named "nosuch"/);
});

test('--content moves content as preferred content and numcopies say', async (t) => {
  const { origin, clones: [a, b] } = await cloneSet(t, ['A', 'B']);
  await writeTree(a!, { 'doc.txt': 'doc\n', 'data.bin': 'data\n' });
  await ferry(a!, ['add', 'doc.txt', 'data.bin']);
  // As with git-annex, a bare origin that has never had a git-annex branch gets content from the second sync on.
  assert.doesNotMatch((await ferry(a!, ['sync', '--content'])).stdout, /^copy/m);
  const first = await ferry(a!, ['sync', '--content']);
  assert.match(first.stdout, /^copy data\.bin \(to origin\.\.\.\) ok$/m);
  const [ua, ub, uo] = [await uuidOf(a!), await uuidOf(b!), await uuidOf(origin)];
  // With no preferred content anywhere, every repository wants everything.
  const second = await ferry(b!, ['sync', '--content']);
  assert.match(second.stdout, /^get doc\.txt \(from origin\.\.\.\) ok$/m);
  assert.equal(await readFile(join(b!, 'data.bin'), 'utf8'), 'data\n');
  assert.deepEqual(await whereis(b!, 'data.bin'), [ua, ub, uo].sort());

  // B stops wanting *.bin; numcopies 3 keeps it (three copies, none to spare), numcopies 2 lets it go.
  await gitAnnex(b!, ['wanted', 'here', 'exclude=*.bin']);
  await gitAnnex(b!, ['numcopies', '3']);
  const kept = await ferry(b!, ['sync', '--content']);
  assert.doesNotMatch(kept.stdout, /^drop/m);
  assert.equal(await readFile(join(b!, 'data.bin'), 'utf8'), 'data\n');
  // numcopies 2: the log shows a copy to spare, but A's copy cannot be verified from B (A is not its remote):
  // the drop is refused as unsafe, which (as in git-annex) does not fail the sync.
  await gitAnnex(b!, ['numcopies', '2']);
  const unsafe = await ferry(b!, ['sync', '--content']);
  assert.match(unsafe.stdout, /^drop data\.bin \(unsafe\)$/m);
  assert.match(unsafe.stdout, /Could only verify the existence of 1 out of 2 necessary copies/);
  assert.equal(await readFile(join(b!, 'data.bin'), 'utf8'), 'data\n');
  await git(b!, ['remote', 'add', 'a', a!]);
  const dropped = await ferry(b!, ['sync', '--content']);
  assert.match(dropped.stdout, /^drop data\.bin ok$/m);
  assert.deepEqual(await whereis(b!, 'data.bin'), [ua, uo].sort());
  assert.deepEqual(await whereis(b!, 'doc.txt'), [ua, ub, uo].sort(), 'the wanted file stays');

  // origin stops wanting *.bin too: with numcopies 1 B drops it there (remotes' drops are "drop REMOTE FILE").
  await gitAnnex(b!, ['wanted', 'origin', 'exclude=*.bin']);
  await gitAnnex(b!, ['numcopies', '1']);
  const remoteDrop = await ferry(b!, ['sync', '--content']);
  assert.match(remoteDrop.stdout, /^drop origin data\.bin ok$/m);
  assert.deepEqual(await whereis(b!, 'data.bin'), [ua]);
  assert.doesNotMatch((await ferry(b!, ['sync', '--content'])).stdout, /^(get|copy|drop)/m, 'nothing left to do');
  await ferry(a!, ['sync']);
  assert.deepEqual(await whereis(a!, 'data.bin'), [ua], 'A learnt of both drops');
  await gitAnnex(b!, ['fsck', '--quiet']);
  await gitAnnex(origin, ['fsck', '--quiet']);
});

test('--content --all also moves keys no file names any more (old versions), by key', async (t) => {
  const { clones: [a, b] } = await cloneSet(t, ['A', 'B']);
  await writeTree(a!, { 'f.txt': 'version 1\n' });
  await ferry(a!, ['add', 'f.txt']);
  await ferry(a!, ['sync']);
  await ferry(a!, ['sync', '--content']);
  const [old] = jsonLines((await ferry(a!, ['whereis', '--json', 'f.txt'])).stdout);
  await rm(join(a!, 'f.txt'));
  await writeTree(a!, { 'f.txt': 'version 2\n' });
  await ferry(a!, ['add', 'f.txt']);
  await ferry(a!, ['sync', '--content']);
  const plain = await ferry(b!, ['sync', '--content']);
  assert.match(plain.stdout, /^get f\.txt \(from origin\.\.\.\) ok$/m);
  assert.doesNotMatch(plain.stdout, new RegExp(String(old?.key)), 'without --all, only what files name');
  const all = await ferry(b!, ['sync', '--content', '--all']);
  assert.match(all.stdout, new RegExp(`^get ${String(old?.key)} \\(from origin\\.\\.\\.\\) ok$`, 'm'));
  assert.equal((await gitAnnex(b!, ['contentlocation', String(old?.key)])).code, 0, 'the old version is here');
  await gitAnnex(b!, ['fsck', '--quiet', '--all']);
});
