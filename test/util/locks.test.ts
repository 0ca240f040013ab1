import { test } from 'node:test';
import type { TestContext } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { setImmediate as tick, setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import {
  LockBusyError, lockExclusive, lockHolder, lockShared, locksAvailable, locksUnavailableReason, syncFileSystem, withLock,
} from '../../src/util/locks.js';

const run = promisify(execFile);

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-locks-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function busyFrom(pid: number, path: string) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof LockBusyError, String(err));
    assert.equal(err.code, 'LockBusyError');
    assert.deepEqual(err.data, { path, pid });
    assert.ok(err.message.includes(path) && err.message.includes(String(pid)), err.message);
    assert.ok(err.hint);
    return true;
  };
}

// A second node process that takes and releases locks on request, answering one line per request.
const childScript = `
import { createInterface } from 'node:readline';
const { lockExclusive, lockShared, LockBusyError } = await import(${JSON.stringify(new URL('../../src/util/locks.js', import.meta.url).href)});
let lock;
console.log('ready');
for await (const line of createInterface({ input: process.stdin })) {
  const { op, path } = JSON.parse(line);
  try {
    if (op === 'release') { lock.release(); console.log('released'); continue; }
    lock = await (op.endsWith('shared') ? lockShared : lockExclusive)(path, { wait: op !== 'try-shared' && op !== 'try-exclusive' });
    console.log('locked');
    if (op.startsWith('try-')) lock.release();
  } catch (err) {
    console.log(err instanceof LockBusyError ? 'busy ' + err.data.pid : 'error ' + err.message);
  }
}`;

interface Child { pid: number; ask(op: string, path?: string): Promise<string> }

async function startChild(t: TestContext): Promise<Child> {
  const proc: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--input-type=module', '-e', childScript]);
  const closed = once(proc, 'close');
  t.after(async () => {
    proc.stdin.end();
    await closed;
  });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const r = await lines.next();
    if (r.done === true) throw new Error(`lock child exited: ${stderr}`);
    return r.value;
  };
  assert.equal(await next(), 'ready');
  return {
    pid: proc.pid!,
    ask: (op, path) => {
      proc.stdin.write(JSON.stringify({ op, path }) + '\n');
      return next();
    },
  };
}

void test('the native addon is loaded', () => {
  assert.ok(locksAvailable(), locksUnavailableReason());
  assert.equal(locksUnavailableReason(), undefined);
});

void test('an exclusive lock excludes a second one in-process until released', async (t) => {
  const file = join(await tempDir(t), 'x.lck');
  const first = await lockExclusive(file);
  assert.equal(first.path, file);
  assert.equal(first.mode, 'exclusive');
  let second = false;
  const waiting = lockExclusive(file).then((l) => {
    second = true;
    return l;
  });
  await assert.rejects(lockExclusive(file, { wait: false }), busyFrom(process.pid, file));
  await assert.rejects(lockShared(file, { wait: false }), busyFrom(process.pid, file));
  await tick();
  assert.equal(second, false);
  assert.deepEqual(lockHolder(file), { mode: 'exclusive', pid: process.pid });
  first.release();
  first.release(); // idempotent: must not release the next holder
  const next = await waiting;
  await assert.rejects(lockShared(file, { wait: false }), LockBusyError);
  next.release();
  assert.equal(lockHolder(file), undefined);
});

void test('shared locks coexist; an exclusive one waits for every shared holder', async (t) => {
  const file = join(await tempDir(t), 'x.lck');
  await lockExclusive(file).then((l) => l.release()); // create it: shared does not create by default
  const [a, b] = await Promise.all([lockShared(file), lockShared(file, { wait: false })]);
  assert.deepEqual(lockHolder(file), { mode: 'shared', pid: process.pid });
  let got = false;
  const writer = lockExclusive(file).then((l) => {
    got = true;
    return l;
  });
  a.release();
  await tick();
  assert.equal(got, false);
  b.release();
  (await writer).release();
});

void test('waiters are served in FIFO order: readers do not overtake a waiting writer', async (t) => {
  const file = join(await tempDir(t), 'x.lck');
  const order: string[] = [];
  const first = await lockShared(file, { create: true });
  const writer = lockExclusive(file).then((l) => (order.push('writer'), l));
  const reader = lockShared(file).then((l) => (order.push('reader'), l));
  const writer2 = lockExclusive(file).then((l) => (order.push('writer2'), l));
  await tick();
  assert.deepEqual(order, []);
  first.release();
  const w = await writer;
  await tick();
  assert.deepEqual(order, ['writer']);
  w.release();
  const r = await reader;
  await tick();
  assert.deepEqual(order, ['writer', 'reader']);
  r.release();
  (await writer2).release();
  assert.deepEqual(order, ['writer', 'reader', 'writer2']);
});

void test('a timeout gives up with LockBusyError and lets later waiters through', async (t) => {
  const file = join(await tempDir(t), 'x.lck');
  const reader = await lockShared(file, { create: true });
  const writer = lockExclusive(file, { timeoutMs: 20 });
  const reader2 = lockShared(file);
  await assert.rejects(writer, busyFrom(process.pid, file));
  (await reader2).release();
  await assert.rejects(lockExclusive(file, { timeoutMs: 0 }), busyFrom(process.pid, file));
  reader.release();
  (await lockExclusive(file, { timeoutMs: 0 })).release();
});

void test('withLock releases after the function, also when it throws', async (t) => {
  const file = join(await tempDir(t), 'x.lck');
  assert.equal(await withLock(file, 'exclusive', () => Promise.resolve(lockHolder(file)?.mode)), 'exclusive');
  await assert.rejects(withLock(file, 'shared', () => Promise.reject(new Error('boom'))), /boom/);
  (await lockExclusive(file, { wait: false })).release();
});

void test('one registry entry per resolved path: relative and absolute names exclude each other', async (t) => {
  const file = join(await tempDir(t), 'x.lck');
  const lock = await lockExclusive(relative(process.cwd(), file));
  assert.equal(lock.path, file);
  await assert.rejects(lockExclusive(file, { wait: false }), LockBusyError);
  lock.release();
});

void test('missing files: shared does not create, exclusive does, a missing directory is a FileSystemError', async (t) => {
  const dir = await tempDir(t);
  await assert.rejects(lockShared(join(dir, 'none.lck')), { code: 'FileSystemError', data: { path: join(dir, 'none.lck'), errno: 'ENOENT' } });
  await assert.rejects(stat(join(dir, 'none.lck')), { code: 'ENOENT' });
  await assert.rejects(lockExclusive(join(dir, 'no', 'x.lck')), { code: 'FileSystemError' });
  (await lockExclusive(join(dir, 'made.lck'))).release();
  await stat(join(dir, 'made.lck'));
  assert.equal(lockHolder(join(dir, 'none.lck')), undefined);
});

void test('taking and releasing locks many times leaves no file descriptor open', async (t) => {
  const file = join(await tempDir(t), 'x.lck');
  const before = (await readdir('/proc/self/fd')).length;
  for (let i = 0; i < 50; i++) {
    (await lockExclusive(file)).release();
    const shared = await Promise.all([lockShared(file), lockShared(file)]);
    const writer = lockExclusive(file);
    await assert.rejects(lockShared(file, { wait: false }), LockBusyError);
    const timedOut = lockShared(file, { timeoutMs: 1 });
    await assert.rejects(timedOut, LockBusyError);
    for (const l of shared) l.release();
    (await writer).release();
    await syncFileSystem(file);
  }
  assert.equal((await readdir('/proc/self/fd')).length, before);
});

void test('syncFileSystem flushes the file system of a directory and reports a missing path', async (t) => {
  const dir = await tempDir(t);
  await syncFileSystem(dir);
  await assert.rejects(syncFileSystem(join(dir, 'missing')), { code: 'FileSystemError' });
});

void test('locks exclude other processes both ways, and lockHolder names the holder', async (t) => {
  const file = join(await tempDir(t), 'x.lck');
  const child = await startChild(t);
  assert.equal(await child.ask('exclusive', file), 'locked');
  await assert.rejects(lockShared(file, { wait: false }), busyFrom(child.pid, file));
  await assert.rejects(lockExclusive(file, { timeoutMs: 30 }), busyFrom(child.pid, file));
  assert.deepEqual(lockHolder(file), { mode: 'exclusive', pid: child.pid });
  const waiting = lockExclusive(file);
  assert.equal(await child.ask('release'), 'released');
  const mine = await waiting;
  assert.equal(await child.ask('try-shared', file), `busy ${process.pid}`);
  mine.release();

  assert.equal(await child.ask('shared', file), 'locked');
  const reader = await lockShared(file, { wait: false }); // readers of two processes coexist
  assert.deepEqual(lockHolder(file), { mode: 'shared', pid: child.pid });
  await assert.rejects(lockExclusive(file, { wait: false }), busyFrom(child.pid, file));
  assert.equal(await child.ask('try-exclusive', file), `busy ${process.pid}`);
  reader.release();
  assert.equal(await child.ask('release'), 'released');
  assert.equal(lockHolder(file), undefined);
  assert.equal(await child.ask('try-exclusive', file), 'locked');
});

// /proc/locks prints the device as the kernel's hex MAJOR:MINOR, then the decimal inode.
async function procLocksId(path: string): Promise<string> {
  const { dev, ino } = await stat(path, { bigint: true });
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${ino}`;
}

void test('git-annex waits for ferry\'s lock on journal.lck', async (t) => {
  const dir = await tempDir(t);
  const repo = join(dir, 'repo');
  const env = {
    ...process.env, HOME: join(dir, 'home'), GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Ferry Test', GIT_AUTHOR_EMAIL: 'test@ferry.invalid',
    GIT_COMMITTER_NAME: 'Ferry Test', GIT_COMMITTER_EMAIL: 'test@ferry.invalid',
  };
  await mkdir(env.HOME);
  await run('git', ['init', '-q', repo], { env });
  await run('git', ['annex', 'init', 'olddesc'], { cwd: repo, env });
  const lockFile = join(repo, '.git', 'annex', 'journal.lck');
  const lock = await lockExclusive(lockFile);
  const id = await procLocksId(lockFile);
  const held = new RegExp(`^\\d+: POSIX +ADVISORY +WRITE +${process.pid} +${id} 0 EOF$`, 'm');
  assert.match(await readFile('/proc/locks', 'utf8'), held, `no line for our lock on ${id}`);

  const annex = spawn('git-annex', ['describe', 'here', 'newdesc'], { cwd: repo, env });
  t.after(() => annex.kill('SIGKILL'));
  let output = '';
  annex.stdout.on('data', (d: Buffer) => (output += d.toString()));
  annex.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = once(annex, 'exit');
  const blocked = new RegExp(`^\\d+: -> POSIX +ADVISORY +WRITE +(\\d+) +${id} `, 'm');
  const deadline = Date.now() + 60_000;
  let waiter: RegExpExecArray | null = null;
  while (waiter === null) {
    assert.equal(annex.exitCode, null, `git-annex exited while ferry held the lock: ${output}`);
    assert.ok(Date.now() < deadline, 'git-annex never queued on journal.lck');
    waiter = blocked.exec(await readFile('/proc/locks', 'utf8'));
    if (waiter === null) await delay(20);
  }
  assert.equal(Number(waiter[1]), annex.pid);
  assert.equal(annex.exitCode, null);
  lock.release();
  assert.deepEqual(await exited, [0, null], output);
  const { stdout } = await run('git', ['cat-file', '-p', 'git-annex:uuid.log'], { cwd: repo, env });
  assert.match(stdout, / newdesc timestamp=/);
});
