// Which files under a directory some process has open for writing, from /proc/*/fd and /proc/*/fdinfo
// (Linux). A large file being copied in is committed only once its writer closed it; this costs one walk
// over every process's descriptors, so the committer does it once per batch and only for large files.
import { readdir, readFile, readlink } from 'node:fs/promises';
import { mapPool } from '../util/index.js';

/** O_ACCMODE bits of fdinfo's octal `flags:` line; O_WRONLY is 1, O_RDWR is 2 (fcntl.h). */
const ACCESS_MODE = 0o3;

/**
 * Absolute paths under `dir` (a real path, no symlinks) open for writing by any process we may inspect.
 * Processes that vanish or hide their descriptors meanwhile are skipped: the answer is a best effort.
 */
export async function filesOpenForWriting(dir: string): Promise<Set<string>> {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const open = new Set<string>();
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((n) => /^\d+$/.test(n));
  await mapPool(pids, 16, async (pid) => {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => undefined);
      if (target === undefined || !target.startsWith(prefix) || open.has(target)) continue;
      const info = await readFile(`/proc/${pid}/fdinfo/${fd}`, 'utf8').catch(() => '');
      const flags = /^flags:\s*([0-7]+)/m.exec(info)?.[1];
      if (flags !== undefined && (parseInt(flags, 8) & ACCESS_MODE) !== 0) open.add(target);
    }
  });
  return open;
}
