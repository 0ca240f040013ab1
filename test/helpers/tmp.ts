// Temp directories removed when the test ends (object directories are read-only, so make them writable first).
import { mkdtemp, rm } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface AfterHook {
  after(fn: () => unknown): void;
}

export async function tempDir(t: AfterHook, prefix = 'ferry-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => removeTree(dir));
  return dir;
}

export async function removeTree(dir: string): Promise<void> {
  try {
    execFileSync('chmod', ['-R', 'u+w', dir], { stdio: 'ignore' });
  } catch {
    // already gone, or nothing to make writable
  }
  await rm(dir, { recursive: true, force: true });
}
