// Exclusion between ferry processes where the fcntl addon is missing (ferry then only writes repositories
// git-annex has not used, annex/locking.ts): a lock file created with O_EXCL holding the owner's pid,
// taken over when that process is gone. Waits with backoff like the fcntl path; never blocks the loop.
import { open, readFile, rm } from 'node:fs/promises';
import { systemErrorCode } from './errors.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return systemErrorCode(err) === 'EPERM';
  }
}

export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const file = `${path}.ferry-pid`;
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    try {
      const fh = await open(file, 'wx', 0o644);
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (err) {
      if (systemErrorCode(err) !== 'EEXIST') throw err;
      const owner = Number(await readFile(file, 'utf8').catch(() => ''));
      // A lock whose owner died (or a half-written one, older than any live writer) is stale.
      if (!Number.isInteger(owner) || owner <= 0 || !alive(owner)) await rm(file, { force: true });
      else await new Promise((r) => setTimeout(r, delay * (0.8 + Math.random() * 0.4)));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(file, { force: true });
  }
}
