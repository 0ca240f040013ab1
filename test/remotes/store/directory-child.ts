// A process doing DirectoryStore work for the tests that kill it or trace it (not a test file itself).
// put-stall ROOT NAME: puts an endless stream, says "streaming" once 8 MiB went out, and waits to be killed.
// put-flush ROOT: puts three nested objects one after the other, flushes, says "flushed".
// delete ROOT NAME / put ROOT NAME: does that, prints the outcome as JSON (run as a user permissions apply to).
import { Readable } from 'node:stream';
import { DirectoryStore } from '../../../src/remotes/store/index.js';

const [mode, root, name] = process.argv.slice(2);
const store = new DirectoryStore(root!);

if (mode === 'put-stall') {
  setInterval(() => undefined, 1 << 30);
  let sent = 0;
  const source = new Readable({
    read() {
      if (sent === 8) {
        process.stdout.write('streaming\n');
        sent++;
        return;
      }
      if (sent < 8) {
        sent++;
        this.push(Buffer.alloc(1 << 20, sent));
      }
    },
  });
  await store.put(name!, { open: () => source });
} else if (mode === 'delete' || mode === 'put') {
  try {
    await (mode === 'delete' ? store.delete(name!) : store.put(name!, { bytes: Buffer.from('x') }));
    process.stdout.write(JSON.stringify({ ok: true }));
  } catch (err) {
    process.stdout.write(JSON.stringify({ code: (err as { code?: string }).code, message: (err as Error).message }));
  }
} else if (mode === 'put-flush') {
  for (const n of ['a/b/obj1', 'a/b/obj2', 'c/obj3']) await store.put(n, { bytes: Buffer.from(n) });
  await store.flush();
  process.stdout.write('flushed\n');
}
