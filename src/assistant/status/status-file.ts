// Where a running assistant says how to reach its status server: .git/ferry/assistant/status.json, mode
// 600 because it holds the token, written atomically (a reader never sees half of it), removed on close.
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isNotFound, writeFileAtomic } from '../../util/index.js';

export interface StatusFile {
  readonly pid: number;
  readonly port: number;
  readonly token: string;
  /** ms since the epoch. */
  readonly started: number;
}

export function statusFilePath(gitDir: string): string {
  return join(gitDir, 'ferry', 'assistant', 'status.json');
}

export async function writeStatusFile(path: string, info: StatusFile): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, `${JSON.stringify(info)}\n`, { mode: 0o600, fsync: true });
}

/** The file's contents, or undefined when no assistant left one. */
export async function readStatusFile(path: string): Promise<StatusFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const v = JSON.parse(text) as Partial<StatusFile>;
  if (typeof v.port !== 'number' || typeof v.token !== 'string' || typeof v.pid !== 'number') return undefined;
  return { pid: v.pid, port: v.port, token: v.token, started: v.started ?? 0 };
}

export async function removeStatusFile(path: string): Promise<void> {
  await rm(path, { force: true });
}
