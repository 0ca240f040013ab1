// ferry's answers to bad input and to damage written by others: one error line naming the thing, a non-zero
// exit status, and a repository left exactly as it was. Malformed location log lines (appended to the
// git-annex branch with plumbing) are warned about and skipped, never fatal, and kept when ferry rewrites
// the log; real git-annex 10.20230126 still reads the result.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeRepo } from '../helpers/repo.js';
import { ferry, git, gitAnnex, jsonLines, run } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { byFile, copiesOf, errorLine, ferryKeys, snapshot, uuidOf, whereisJson } from './repo-checks.js';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** An initialised ferry repository with two committed files and an untracked one. */
async function ferryRepo(t: Parameters<typeof makeRepo>[0]): Promise<string> {
  const dir = await makeRepo(t, { description: 'errors repo', files: { 'a.txt': 'alpha\n', 'b.txt': 'beta\n' } });
  await ferry(dir, ['add']);
  await git(dir, ['commit', '-q', '-m', 'add']);
  await writeFile(join(dir, 'new.txt'), 'not added yet\n');
  return dir;
}

test('ferry add outside a git repository, and in one that is not initialised', async (t) => {
  const empty = await tempDir(t);
  await writeFile(join(empty, 'f.txt'), 'x\n');
  for (const args of [['add'], ['add', 'f.txt']]) {
    const r = await ferry(empty, args, { expect: [] });
    assert.notEqual(r.code, 0);
    assert.match(errorLine(r), new RegExp(`not a git repository.*${escape(empty)}`));
  }
  assert.deepEqual(await readdir(empty), ['f.txt'], 'nothing was created');

  const plain = await makeRepo(t, { init: 'none', files: { 'f.txt': 'x\n' } });
  const before = await snapshot(plain);
  const r = await ferry(plain, ['add', 'f.txt'], { expect: [] });
  assert.notEqual(r.code, 0);
  assert.match(errorLine(r), new RegExp(`not a ferry or git-annex repository.*${escape(plain)}.*annex\\.uuid`));
  assert.deepEqual(await snapshot(plain), before);
  assert.equal(before.annexDirExists, false);
  assert.equal(before.annexBranch, '(none)');
});

test('ferry add of a path outside the repository, and with an unknown backend', async (t) => {
  const dir = await ferryRepo(t);
  const elsewhere = join(await tempDir(t), 'outside.txt');
  await writeFile(elsewhere, 'outside\n');
  const before = await snapshot(dir);
  for (const path of [elsewhere, '../outside.txt']) {
    const r = await ferry(dir, ['add', path], { expect: [] });
    assert.notEqual(r.code, 0);
    assert.match(errorLine(r), new RegExp(`${escape(path)} is outside the repository`));
    assert.deepEqual(await snapshot(dir), before, `after ferry add ${path}`);
  }
  const r = await ferry(dir, ['add', '--backend=NOPE', 'new.txt'], { expect: [] });
  assert.notEqual(r.code, 0);
  assert.match(errorLine(r), /unknown backend "NOPE"/);
  assert.deepEqual(await snapshot(dir), before, 'after ferry add --backend=NOPE');
});

/** Replaces a file of the git-annex branch with plumbing only: hash-object, a temp index, commit-tree, update-ref. */
async function writeBranchFile(dir: string, path: string, content: Buffer): Promise<void> {
  const env = { GIT_INDEX_FILE: join(dir, '.git', 'junk-index') };
  const blob = (await git(dir, ['hash-object', '-w', '--stdin'], { input: content })).stdout.trim();
  await git(dir, ['read-tree', 'refs/heads/git-annex'], { env });
  await git(dir, ['update-index', '--cacheinfo', `100644,${blob},${path}`], { env });
  const tree = (await git(dir, ['write-tree'], { env })).stdout.trim();
  const parent = (await git(dir, ['rev-parse', 'refs/heads/git-annex'])).stdout.trim();
  const commit = (await git(dir, ['commit-tree', '-p', parent, '-m', 'someone else writes', tree])).stdout.trim();
  await git(dir, ['update-ref', 'refs/heads/git-annex', commit, parent]);
  await git(dir, ['read-tree', '--empty'], { env });
}

async function branchFile(dir: string, path: string): Promise<Buffer> {
  return Buffer.from((await git(dir, ['cat-file', 'blob', `refs/heads/git-annex:${path}`])).stdout, 'utf8');
}

const JUNK = ['this is not a location log line', '1700000000s 7 bogus-status', 'not-a-clock 1 11111111-2222-3333-4444-555555555555'];

test('malformed location log lines: ferry whereis and fsck warn and skip them, and keep them when rewriting the log', async (t) => {
  const dir = await ferryRepo(t);
  const here = await uuidOf(dir);
  const keys = await ferryKeys(dir);
  const logOf = async (f: string) => (await gitAnnex(dir, ['examinekey', '--format=${hashdirlower}${key}.log', keys.get(f)!])).stdout;
  const [aLog, bLog] = [await logOf('a.txt'), await logOf('b.txt')];

  // a.txt: junk after the real line. b.txt: junk and a newer line saying the content is gone (it is not).
  const aOld = (await branchFile(dir, aLog)).toString();
  await writeBranchFile(dir, aLog, Buffer.from(`${aOld}${JUNK.join('\n')}\n`));
  const bOld = (await branchFile(dir, bLog)).toString();
  const bClock = Number(/^(\d+)/.exec(bOld)![1]) + 1;
  await writeBranchFile(dir, bLog, Buffer.from(`${bOld}${bClock}s 0 ${here}\n${JUNK.join('\n')}\n`));

  const where = await ferry(dir, ['whereis', '--json'], { expect: [1] });
  const records = byFile(jsonLines(where.stdout));
  assert.deepEqual(copiesOf(records.get('a.txt')).map((c) => c.uuid), [here]);
  assert.deepEqual(copiesOf(records.get('b.txt')), []);
  for (const [log, line] of [[aLog, JUNK[0]!], [bLog, JUNK[1]!], [aLog, JUNK[2]!]] as const) {
    assert.match(where.stderr, new RegExp(`^ferry: git-annex:${escape(log)}: .*${escape(JSON.stringify(line))}$`, 'm'), `whereis warns about ${line}`);
  }
  assert.doesNotMatch(where.stderr, /internal error|^\s+at /m);

  const fsck = await ferry(dir, ['fsck']);
  assert.match(fsck.stdout, /^fsck b\.txt \(fixing location log\) \(checksum\.\.\.\) ok$/m);
  assert.match(fsck.stderr, new RegExp(`^ferry: git-annex:${escape(bLog)}: `, 'm'), 'fsck warns');
  const rewritten = (await branchFile(dir, bLog)).toString();
  assert.match(rewritten, new RegExp(`^\\d+(\\.\\d+)?s 1 ${here}$`, 'm'));
  for (const line of JUNK) assert.ok(rewritten.split('\n').includes(line), `ferry kept "${line}" in ${bLog}:\n${rewritten}`);
  // A log with nothing to change keeps its lines (sorted: ferry's commit union-merged the branch commit it
  // did not make into .git/annex/index, as git-annex does).
  const lines = (text: string) => text.split('\n').filter(Boolean).sort();
  assert.deepEqual(lines((await branchFile(dir, aLog)).toString()), lines(`${aOld}${JUNK.join('\n')}\n`));

  // git-annex reads both logs as ferry does.
  const theirs = byFile(await whereisJson('git-annex', dir));
  for (const f of ['a.txt', 'b.txt']) assert.deepEqual(copiesOf(theirs.get(f)).map((c) => c.uuid), [here], `git annex whereis ${f}`);
  await gitAnnex(dir, ['fsck', '--quiet']);
});

test('a malformed location log line that is not UTF-8 survives ferry\'s rewrite byte for byte', async (t) => {
  const dir = await ferryRepo(t);
  const here = await uuidOf(dir);
  const key = (await ferryKeys(dir)).get('a.txt')!;
  const log = (await gitAnnex(dir, ['examinekey', '--format=${hashdirlower}${key}.log', key])).stdout;
  const old = (await git(dir, ['cat-file', 'blob', `refs/heads/git-annex:${log}`])).stdout;
  const clock = Number(/^(\d+)/.exec(old)![1]) + 1;
  const junk = Buffer.from([0xff, 0xfe, 0x20, 0x6a, 0x75, 0x6e, 0x6b, 0x0a]); // "\xff\xfe junk\n"
  await writeBranchFile(dir, log, Buffer.concat([Buffer.from(`${old}${clock}s 0 ${here}\n`), junk]));
  await ferry(dir, ['fsck', 'a.txt']);
  const rewritten = execFileSync('git', ['cat-file', 'blob', `refs/heads/git-annex:${log}`], { cwd: dir });
  assert.ok(rewritten.includes(junk), `the junk bytes are kept; the log is now ${JSON.stringify(rewritten.toString('latin1'))}`);
});

/** How this test runs a command as a user the file system refuses, or why it cannot. */
function unprivilegedRunner(): { wrap: (program: string, args: string[]) => [string, string[]]; uid: number; gid: number } | string {
  if (process.getuid?.() !== 0) return { wrap: (p, a) => [p, a], uid: -1, gid: -1 };
  try {
    const uid = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).trim());
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
    return { wrap: (p, a) => ['setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', p, ...a]], uid, gid };
  } catch {
    return 'running as root without a `nobody` user and setpriv: root reads any file, so there is no permission to deny';
  }
}

test('ferry add of a file it may not read: one error naming the file, repository unchanged', async (t) => {
  const runner = unprivilegedRunner();
  if (typeof runner === 'string') {
    t.skip(runner);
    return;
  }
  // The repository belongs to the unprivileged user (so only the file's own mode stands in the way); the
  // file belongs to root with mode 000. The temp dir must be traversable, and HOME readable, by that user.
  const parent = await tempDir(t);
  await chmod(parent, 0o755);
  const dir = join(parent, 'repo');
  const home = join(parent, 'home');
  await mkdir(dir);
  await mkdir(home);
  await git(dir, ['init', '-q']);
  await ferry(dir, ['init', 'permissions']);
  await writeFile(join(dir, 'ok.txt'), 'readable\n');
  await ferry(dir, ['add', 'ok.txt']);
  await git(dir, ['commit', '-q', '-m', 'ok']);
  await writeFile(join(dir, 'secret.txt'), 'nobody may read this\n');
  const before = await snapshot(dir);
  if (runner.uid >= 0) execFileSync('chown', ['-R', `${runner.uid}:${runner.gid}`, dir, home]);
  await chown(join(dir, 'secret.txt'), 0, 0).catch(() => undefined);
  await chmod(join(dir, 'secret.txt'), 0o000);

  const [program, args] = runner.wrap('ferry', ['add', 'secret.txt']);
  const r = await run(dir, program, args, { env: { HOME: home }, expect: [] });
  // Give the repository back to this process's user before git looks at it again (git refuses a repository
  // another user owns).
  if (runner.uid >= 0) execFileSync('chown', ['-R', `${process.getuid!()}:${process.getgid!()}`, dir]);
  assert.notEqual(r.code, 0);
  assert.match(errorLine(r), new RegExp(`permission denied.*${escape(join(dir, 'secret.txt'))}`));
  assert.deepEqual(await snapshot(dir), before);
});
