// Reading ferry's FERRY_TEST_TRACE file, and waiting for a process stopped by FERRY_TEST_STOP.
import { readFile } from 'node:fs/promises';

export async function readTrace(file: string): Promise<{ event: string; detail: string }[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map((l) => {
    const space = l.indexOf(' ');
    return space < 0 ? { event: l, detail: '' } : { event: l.slice(0, space), detail: l.slice(space + 1) };
  });
}

/** Resolves once process `pid` is stopped (state T in /proc), polling; rejects after `deadlineMs`. */
export async function waitUntilStopped(pid: number, deadlineMs = 60_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'T' || state === 't') return;
    if (stat === '') throw new Error(`process ${pid} exited before stopping`);
    if (Date.now() > end) throw new Error(`process ${pid} did not stop within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, delay));
  }
}
