// Test hooks, off unless the environment turns them on (one boolean test on the hot path otherwise):
// - FERRY_TEST_TRACE=FILE appends one line per durability event (fsync, rename, branch commit, ...) so a
//   test can assert their order (docs/NOTES.md "Durability order").
// - FERRY_TEST_CRASH=POINT:N kills the process with SIGKILL at the N-th time POINT is reached, so the crash
//   test can stop ferry at chosen places in its own progress rather than at random wall-clock times.
import { appendFileSync } from 'node:fs';

const traceFile = process.env.FERRY_TEST_TRACE;
const crashSpec = parseCrash(process.env.FERRY_TEST_CRASH);
const counts = new Map<string, number>();

function parseCrash(spec: string | undefined): { point: string; n: number } | undefined {
  if (!spec) return undefined;
  const colon = spec.lastIndexOf(':');
  const n = Number(spec.slice(colon + 1));
  return colon > 0 && Number.isInteger(n) && n > 0 ? { point: spec.slice(0, colon), n } : undefined;
}

/** Records that `event` happened (for the ordering test) and crashes here if the crash test asked to. */
export function checkpoint(event: string, detail = ''): void {
  if (traceFile !== undefined) appendFileSync(traceFile, `${event}${detail ? ` ${detail}` : ''}\n`);
  if (crashSpec !== undefined && crashSpec.point === event) {
    const n = (counts.get(event) ?? 0) + 1;
    counts.set(event, n);
    if (n === crashSpec.n) process.kill(process.pid, 'SIGKILL');
  }
}

export const tracing = traceFile !== undefined || crashSpec !== undefined;
