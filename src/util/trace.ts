// Test hooks, off unless the environment turns them on (one boolean test on the hot path otherwise):
// - FERRY_TEST_TRACE=FILE appends one line per checkpoint (object placed, batch synced, branch committed,
//   ...) so a test can assert their order (docs/NOTES.md "Durability order").
// - FERRY_TEST_CRASH=POINT:N kills the process with SIGKILL at the N-th time POINT is reached, so the crash
//   test stops ferry at chosen places in its own progress rather than at random wall-clock times.
// - FERRY_TEST_STOP=POINT:N stops the process (SIGSTOP) there, so a test can change the world at exactly
//   that moment (modify a file being added, move a branch) and then let it continue with SIGCONT.
import { appendFileSync } from 'node:fs';

interface Trigger {
  readonly point: string;
  readonly n: number;
}

const traceFile = process.env.FERRY_TEST_TRACE;
const crashAt = parseTrigger(process.env.FERRY_TEST_CRASH);
const stopAt = parseTrigger(process.env.FERRY_TEST_STOP);
const counts = new Map<string, number>();

function parseTrigger(spec: string | undefined): Trigger | undefined {
  if (!spec) return undefined;
  const colon = spec.lastIndexOf(':');
  const n = Number(spec.slice(colon + 1));
  return colon > 0 && Number.isInteger(n) && n > 0 ? { point: spec.slice(0, colon), n } : undefined;
}

/** Records that `event` happened (for ordering tests) and crashes or stops here if a test asked to. */
export function checkpoint(event: string, detail = ''): void {
  if (!tracing) return;
  if (traceFile !== undefined) appendFileSync(traceFile, `${event}${detail ? ` ${detail}` : ''}\n`);
  const n = (counts.get(event) ?? 0) + 1;
  counts.set(event, n);
  if (crashAt?.point === event && crashAt.n === n) process.kill(process.pid, 'SIGKILL');
  if (stopAt?.point === event && stopAt.n === n) process.kill(process.pid, 'SIGSTOP');
}

export const tracing = traceFile !== undefined || crashAt !== undefined || stopAt !== undefined;
