// A process running the transfer queue, for the test that kills it (not a test file itself).
// queue-child REPO [upload KEY REMOTE]: opens the queue of REPO, queues that upload if asked, runs until the
// queue is empty, prints every event as a JSON line, and exits 0.
import { openQueue } from './queue-fixture.js';

const [repo, direction, key, remote] = process.argv.slice(2);
const q = await openQueue(repo!, { backoff: { baseMs: 50, maxMs: 200 } });
q.bus.subscribe((e) => process.stdout.write(`${JSON.stringify(e)}\n`));
q.queue.start();
if (direction === 'upload') await q.queue.enqueue([{ direction, key: key!, remote: remote! }]);
await q.queue.idle();
await q.close();
