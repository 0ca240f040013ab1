// A small process that runs a status server over a fixture, as the daemon will: `node status-harness.js
// GITDIR` prints one JSON line {port} once listening and closes the server (removing the status file) on
// SIGTERM.
import { join } from 'node:path';
import { EventBus, StatusServer, statusFilePath } from '../../src/assistant/index.js';
import { fixtureSnapshot } from './status-fixture.js';

const gitDir = process.argv[2]!;
const bus = new EventBus();
const server = await StatusServer.start({ bus, snapshot: () => Promise.resolve(fixtureSnapshot(join(gitDir, '..'))), statusFile: statusFilePath(gitDir) });
bus.publish({ type: 'started', pid: process.pid, repository: join(gitDir, '..') });
let stopping: Promise<void> | undefined;
const stop = () => {
  stopping ??= server.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
