// git-annex's locks, taken the way git-annex takes them: POSIX fcntl record locks on the whole lock file
// (annex-format.md 2.2; pitfall 10.8), through the native addon in native/ferry_native.c.
// Two POSIX rules shape this file. fcntl locks never conflict within one process, so in-process exclusion is
// a reader/writer queue here. Closing ANY fd of a file drops all of the process's locks on it, so each lock
// file has one registry entry (keyed by absolute path, process-wide because the locks are) whose fds stay
// open until its last holder and waiter are gone.
import { fstatSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FerryError, errorMessage, fileSystemError, systemErrorCode } from './errors.js';
import { debug } from './log.js';

export interface LockOptions {
  wait?: boolean; // default true; false: LockBusyError at once when someone holds it
  timeoutMs?: number; // default: wait forever; then LockBusyError
  create?: boolean; // create a missing lock file; default true for exclusive, false for shared
}

export interface Lock {
  readonly path: string; // absolute
  readonly mode: 'shared' | 'exclusive';
  release(): void; // idempotent
}

/** Someone else holds the lock and the caller chose not to wait (or waited out its timeout). */
export class LockBusyError extends FerryError {
  constructor(path: string, pid: number | undefined) {
    const who = pid === undefined ? 'another process' : pid === process.pid ? `this process (pid ${pid})` : `process ${pid}`;
    super(`${path} is locked by ${who}`, {
      data: { path, pid },
      hint: 'another git-annex or ferry command is working on this repository; let it finish, then run this again',
    });
  }
}

/** The native addon did not build or load, so git-annex's locks cannot be taken. */
export class LocksUnavailableError extends FerryError {
  constructor(reason: string) {
    super(`cannot take git-annex's file locks: ${reason}`, {
      data: { reason },
      hint: 'install a C compiler, make and python3 (Debian: build-essential python3), then run `npm rebuild`',
    });
  }
}

type Mode = Lock['mode'];
type OsLock = 'read' | 'write';
interface Native {
  open(path: string, writable: boolean, create: boolean): number;
  setlk(fd: number, type: OsLock | 'unlock'): boolean; // F_SETLK; false when another process conflicts
  getlk(fd: number, type: OsLock): { type: OsLock; pid: number } | null;
  close(fd: number): void;
  syncfs(fd: number): Promise<void>;
}

let native: Native | undefined;
let loadFailure: string | undefined;

function tryLoad(): Native | undefined {
  if (native !== undefined || loadFailure !== undefined) return native;
  // Compiled to dist/src/util/locks.js; build/ sits at the package root, three levels up.
  const file = fileURLToPath(new URL('../../../build/Release/ferry_native.node', import.meta.url));
  // Tests of the fallback run as if the addon had not been built.
  if (process.env.FERRY_TEST_NO_ADDON) {
    loadFailure = 'FERRY_TEST_NO_ADDON is set';
    return undefined;
  }
  try {
    native = createRequire(import.meta.url)(file) as Native;
  } catch (err) {
    loadFailure = `${file} did not load: ${errorMessage(err)}`;
  }
  return native;
}

function addon(): Native {
  const n = tryLoad();
  if (n === undefined) throw new LocksUnavailableError(loadFailure ?? 'unknown reason');
  return n;
}

export function locksAvailable(): boolean {
  return tryLoad() !== undefined;
}

export function locksUnavailableReason(): string | undefined {
  tryLoad();
  return loadFailure;
}

interface Waiter {
  mode: Mode;
  grant(): void;
  fail(err: Error): void;
}
interface Entry {
  path: string;
  fd: number;
  writeFd: number | undefined; // fd if opened read-write, else a second fd opened for the first writer
  os: 'none' | Mode; // the OS lock held: the strongest any current holder needs
  shared: number;
  exclusive: boolean;
  queue: Waiter[];
  pins: number; // fd users that are not holders (an in-flight syncfs)
  poll: NodeJS.Timeout | undefined;
  backoffMs: number;
}

const registry = new Map<string, Entry>();

function openFd(n: Native, path: string, writable: boolean, create: boolean, action = 'open the lock file'): number {
  try {
    return n.open(path, writable, create);
  } catch (err) {
    throw fileSystemError(err, action, path);
  }
}

function entryFor(n: Native, path: string, mode: Mode, create: boolean): Entry {
  const old = registry.get(path);
  if (old !== undefined) {
    // F_WRLCK needs a writable fd. A second fd is safe as long as it stays open: locks belong to the process.
    if (mode === 'exclusive' && old.writeFd === undefined) old.writeFd = openFd(n, path, true, create);
    return old;
  }
  let fd: number;
  let writeFd: number | undefined;
  try {
    fd = writeFd = n.open(path, true, create);
  } catch (err) {
    // A read lock needs only read access (git-annex opens read-only for it), so an unwritable file still works.
    if (mode === 'exclusive' || !['EACCES', 'EPERM', 'EROFS'].includes(systemErrorCode(err) ?? '')) {
      throw fileSystemError(err, 'open the lock file', path);
    }
    fd = openFd(n, path, false, create);
  }
  const e: Entry = { path, fd, writeFd, os: 'none', shared: 0, exclusive: false, queue: [], pins: 0, poll: undefined, backoffMs: 1 };
  registry.set(path, e);
  return e;
}

/** Grants waiters in FIFO order while they fit (a queued writer is not overtaken by readers), then settles. */
function update(n: Native, e: Entry): void {
  for (let w = e.queue[0]; w !== undefined; w = e.queue[0]) {
    if (e.exclusive || (w.mode === 'exclusive' && e.shared > 0)) break;
    let ok = e.os === 'exclusive' || e.os === w.mode;
    try {
      // shared -> exclusive is an atomic upgrade when no other process reads; otherwise we poll below.
      ok ||= n.setlk(w.mode === 'shared' ? e.fd : (e.writeFd ?? e.fd), w.mode === 'shared' ? 'read' : 'write');
    } catch (err) {
      e.queue.shift();
      w.fail(fileSystemError(err, 'lock', e.path));
      continue;
    }
    if (!ok) {
      poll(n, e);
      break;
    }
    if (e.os !== 'exclusive') e.os = w.mode;
    e.queue.shift();
    e.backoffMs = 1;
    if (w.mode === 'shared') e.shared++;
    else e.exclusive = true;
    w.grant();
  }
  settle(n, e);
}

// Another process holds it: retry F_SETLK with capped exponential backoff and jitter. A timer, never
// F_SETLKW, so neither the event loop nor a pool thread blocks; the timer is ref'd because waiting is work.
function poll(n: Native, e: Entry): void {
  if (e.poll !== undefined) return;
  const delay = e.backoffMs * (0.8 + Math.random() * 0.4);
  e.backoffMs = Math.min(50, e.backoffMs * 2);
  e.poll = setTimeout(() => {
    e.poll = undefined;
    update(n, e);
  }, delay);
}

/** Lowers the OS lock to what the holders still need; with no holders and no waiters, closes the fds. */
function settle(n: Native, e: Entry): void {
  if (e.exclusive) return;
  try {
    // Downgrade and unlock never block. Unlocking while our waiters poll lets other processes in rather than
    // keep a read lock that our own writer could not upgrade while another process also reads.
    if (e.shared > 0 && e.os === 'exclusive' && n.setlk(e.fd, 'read')) e.os = 'shared';
    if (e.shared === 0 && e.os !== 'none' && n.setlk(e.fd, 'unlock')) e.os = 'none';
  } catch (err) {
    debug(`unlocking ${e.path}: ${errorMessage(err)}`); // kept until the fds close, which drops it anyway
  }
  if (e.shared > 0 || e.queue.length > 0 || e.pins > 0 || registry.get(e.path) !== e) return;
  clearTimeout(e.poll);
  registry.delete(e.path);
  for (const fd of new Set([e.fd, e.writeFd ?? e.fd])) {
    try {
      n.close(fd);
    } catch (err) {
      debug(`closing ${e.path}: ${errorMessage(err)}`); // the locks are gone already; at worst an fd leaks
    }
  }
}

/** For LockBusyError: another process's conflicting lock (as lockHolder), else this process (holder or queue). */
function holderPid(n: Native, e: Entry, mode: Mode): number | undefined {
  try {
    const other = n.getlk(e.fd, mode === 'shared' ? 'read' : 'write');
    if (other !== null) return other.pid;
  } catch (err) {
    debug(`F_GETLK on ${e.path}: ${errorMessage(err)}`); // only the message loses its pid
  }
  return e.exclusive || (mode === 'exclusive' && e.shared > 0) || e.queue.length > 0 ? process.pid : undefined;
}

function acquire(path: string, mode: Mode, opts: LockOptions): Promise<Lock> {
  return new Promise<Lock>((resolveLock, reject) => {
    const n = addon();
    const e = entryFor(n, resolve(path), mode, opts.create ?? mode === 'exclusive');
    let timer: NodeJS.Timeout | undefined;
    let released = false;
    const lock: Lock = {
      path: e.path, mode, release: () => {
        if (released) return;
        released = true;
        if (mode === 'shared') e.shared--;
        else e.exclusive = false;
        update(n, e);
      },
    };
    const waiter: Waiter = {
      mode,
      grant: () => { clearTimeout(timer); resolveLock(lock); },
      fail: (err) => { clearTimeout(timer); reject(err); },
    };
    const giveUp = (): void => {
      const i = e.queue.indexOf(waiter);
      if (i < 0) return;
      e.queue.splice(i, 1);
      const pid = holderPid(n, e, mode);
      update(n, e); // whoever queued behind us may fit now
      waiter.fail(new LockBusyError(e.path, pid));
    };
    e.queue.push(waiter);
    update(n, e);
    if (!e.queue.includes(waiter)) return; // granted, or failed with an OS error
    const timeout = opts.timeoutMs;
    if (opts.wait === false || (timeout !== undefined && timeout <= 0)) giveUp();
    else if (timeout !== undefined) timer = setTimeout(giveUp, timeout);
  });
}

export function lockExclusive(path: string, opts: LockOptions = {}): Promise<Lock> {
  return acquire(path, 'exclusive', opts);
}

/** Opens the lock file read-only when it is not writable; creates it only when `create` says so. */
export function lockShared(path: string, opts: LockOptions = {}): Promise<Lock> {
  return acquire(path, 'shared', opts);
}

export async function withLock<T>(path: string, mode: Mode, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const lock = await acquire(path, mode, opts);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

/**
 * Whether the file `lock` holds is still the one its path names. git-annex removes a transfer lock file
 * before unlocking it, so a lock won on a file opened just before that removal guards a name nobody else
 * will open again (git-annex's own check after locking is the same comparison).
 */
export function lockStillNamesPath(lock: Lock): boolean {
  const e = registry.get(lock.path);
  if (e === undefined) return false;
  try {
    const held = fstatSync(e.fd);
    const named = statSync(lock.path);
    return held.ino === named.ino && held.dev === named.dev;
  } catch {
    return false; // the path is gone: the file we hold was removed
  }
}

/**
 * Who holds `path` so that an exclusive lock would wait: another process (F_GETLK, which never reports our
 * own locks), else this process when it has holders. Undefined when free or when the file cannot be opened.
 */
export function lockHolder(path: string): { mode: Mode; pid: number } | undefined {
  const n = addon();
  const e = registry.get(resolve(path));
  let fd: number;
  try {
    fd = e?.fd ?? n.open(resolve(path), false, false); // never a second fd of a file we hold: closing it unlocks
  } catch {
    return undefined; // a lock file that cannot be opened has no holder we could name
  }
  try {
    const other = n.getlk(fd, 'write');
    if (other !== null) return { mode: other.type === 'write' ? 'exclusive' : 'shared', pid: other.pid };
  } finally {
    if (e === undefined) n.close(fd);
  }
  return e !== undefined && (e.exclusive || e.shared > 0) ? { mode: e.exclusive ? 'exclusive' : 'shared', pid: process.pid } : undefined;
}

/**
 * Flushes the whole file system holding `path` (a directory, or any file on it) with syncfs(2), making a
 * batch of written files durable in one call. Without the addon it falls back to fsync of the directory, which persists only
 * that directory's entries and not the data of files in it: then each file needs its own fsync.
 */
export async function syncFileSystem(path: string): Promise<void> {
  const n = tryLoad();
  if (n === undefined) {
    try {
      const handle = await open(path, 'r');
      await handle.sync().finally(() => handle.close());
    } catch (err) {
      throw fileSystemError(err, 'sync', path);
    }
    return;
  }
  const held = registry.get(resolve(path));
  const fd = held?.fd ?? openFd(n, resolve(path), false, false, 'open');
  if (held !== undefined) held.pins++;
  try {
    await n.syncfs(fd);
  } catch (err) {
    throw fileSystemError(err, 'sync the file system of', path);
  } finally {
    if (held === undefined) n.close(fd);
    else {
      held.pins--;
      settle(n, held);
    }
  }
}
