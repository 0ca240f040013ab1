// A process that follows a running assistant's event stream through its status API (/api/events, SSE) and
// prints each event as one JSON line: how a test reads an assistant that runs in another network namespace,
// where the test's own process cannot reach its loopback (helpers/assistant.ts). Not a test file itself.
// event-tap GITDIR PID: waits for PID's status file, then streams from event 1 until the stream ends.
import { request } from 'node:http';
import { readStatusFile, statusFilePath } from '../../src/assistant/index.js';

const [gitDir, pidText] = process.argv.slice(2);
const pid = Number(pidText);
let info = await readStatusFile(statusFilePath(gitDir!)).catch(() => undefined);
for (const started = Date.now(); info?.pid !== pid; info = await readStatusFile(statusFilePath(gitDir!)).catch(() => undefined)) {
  if (Date.now() - started > 60_000) throw new Error(`no status file of pid ${pid} in ${gitDir} after 60 s`);
  await new Promise((resolve) => setTimeout(resolve, 25));
}
const { port, token } = info;
await new Promise<void>((resolve, reject) => {
  const req = request({ host: '127.0.0.1', port, path: '/api/events?since=0', headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' } }, (res) => {
    if (res.statusCode !== 200) reject(new Error(`status server answered ${res.statusCode}`));
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (text: string) => {
      buffer += text;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        if (data !== '' && !block.includes('event: ')) process.stdout.write(`${data}\n`);
      }
    });
    res.on('end', resolve);
    res.on('error', resolve);
  });
  req.on('error', reject);
  req.end();
});
