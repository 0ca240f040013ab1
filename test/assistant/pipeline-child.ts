// A watcher + committer in a process of its own, for tests that must stop it (FERRY_TEST_STOP) or give it
// its own limits (a user namespace): argv[2] is the repository; each event is printed as one JSON line,
// then {"type":"ready"} once watching; a start failure prints {"type":"start-failed", code, message, hint}.
import { FerryError } from '../../src/util/index.js';
import { startPipeline } from './pipeline.js';

const dir = process.argv[2]!;
try {
  const p = await startPipeline(dir);
  p.bus.subscribe((e) => process.stdout.write(JSON.stringify(e) + '\n'));
  process.stdout.write(JSON.stringify({ type: 'ready' }) + '\n');
  process.on('SIGTERM', () => void p.close().then(() => process.exit(0)));
} catch (err) {
  const e = err instanceof FerryError ? err : undefined;
  process.stdout.write(JSON.stringify({ type: 'start-failed', code: e?.code, message: String((err as Error).message), hint: e?.hint }) + '\n');
  process.exit(1);
}
