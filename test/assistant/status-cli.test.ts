import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { statusFilePath } from '../../src/assistant/index.js';
import type { StatusResponse } from '../../src/assistant/index.js';
import { writeStatusFile } from '../../src/assistant/status/status-file.js';
import { makeRepo } from '../helpers/repo.js';
import { ferry, start } from '../helpers/run.js';
import type { Started } from '../helpers/run.js';
import { call } from './status-http.js';

const harness = fileURLToPath(new URL('status-harness.js', import.meta.url));

/** Starts the harness process and waits for the line that says it listens. */
async function startHarness(dir: string): Promise<Started & { port: number }> {
  const started = start(dir, process.execPath, [harness, join(dir, '.git')]);
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    started.child.stdout!.on('data', (b: Buffer) => {
      text += b.toString('utf8');
      if (text.includes('\n')) resolve((JSON.parse(text.split('\n')[0]!) as { port: number }).port);
    });
    started.done.then((r) => reject(new Error(`the harness exited ${r.code}: ${r.stderr}`)), reject);
  });
  return { ...started, port };
}

test('ferry status --json, the summary and --open ask a running server; with none it says so and exits 1', async (t) => {
  const dir = await makeRepo(t);
  const none = await ferry(dir, ['status'], { expect: [1] });
  assert.match(none.stderr, /no assistant is running for this repository/);
  assert.match(none.stderr, /ferry assistant/);

  const h = await startHarness(dir);
  t.after(() => h.child.kill('SIGKILL'));

  const json = await ferry(dir, ['status', '--json']);
  const lines = json.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'one JSON object');
  const s = JSON.parse(lines[0]!) as StatusResponse;
  assert.equal(s.repository.description, 'alice laptop');
  assert.deepEqual(s.peers.map((p) => [p.description, p.seq]), [['bob desktop', 12], ['old phone', 3]]);
  assert.deepEqual(s.transfers.map((x) => [x.transfer, x.bytes]), [['q1', 4_500_000], ['q2', 0]]);
  assert.equal(s.notifiers[0]!.state, 'connected');
  assert.equal(s.cloud[0]!.estimatedCostPerMonth!.amount, 0.02);
  assert.equal(s.lastEvent, 1, "the harness's started event");

  const human = (await ferry(dir, ['status'])).stdout;
  assert.match(human, /bob desktop via cloud-git: seq 12, seen 30 s ago; lacks 2 files/);
  assert.match(human, /upload to cloud: big\.bin 45% of .* active/);
  assert.match(human, /retrying \(attempt 2: connection reset\)/);
  assert.match(human, /cloud: relay ws:\/\/127\.0\.0\.1:9\/ connected/);
  assert.match(human, /ferry dead 33333333-3333-4333-8333-333333333333/);
  assert.match(human, /estimated 0\.02 USD a month/);

  const open = await ferry(dir, ['status', '--open']);
  const url = /(http:\/\/127\.0\.0\.1:\d+\/login\?once=[A-Za-z0-9_-]+)/.exec(open.stdout)?.[1];
  assert.ok(url, open.stdout);
  const path = new URL(url).pathname + new URL(url).search;
  assert.equal((await call(h.port, path)).status, 303);
  assert.equal((await call(h.port, path)).status, 403, 'the printed URL works once');

  h.child.kill('SIGTERM');
  assert.equal((await h.done).code, 0);
  await assert.rejects(stat(statusFilePath(join(dir, '.git'))), { code: 'ENOENT' });
  const after = await ferry(dir, ['status', '--json'], { expect: [1] });
  assert.match(after.stderr, /no assistant is running/);
  assert.equal(after.stdout, '');
});

test('a status file left by a killed assistant is reported as no assistant, exit 1', async (t) => {
  const dir = await makeRepo(t);
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = s.address() as { port: number };
      s.close(() => resolve(p));
    });
  });
  await writeStatusFile(statusFilePath(join(dir, '.git')), { pid: 999_999, port, token: 'x', started: 0 });
  const r = await ferry(dir, ['status'], { expect: [1] });
  assert.match(r.stderr, /no assistant is running for this repository \(the status file names port \d+ of process 999999, which is not listening/);
});

test("ferry status's help says it is not git-annex's deprecated work-tree status", async (t) => {
  const dir = await makeRepo(t, { init: 'none' });
  const help = (await ferry(dir, ['help', 'status'])).stdout;
  assert.match(help, /not git-annex's deprecated `status`/);
  assert.match(help, /--open/);
});
