// The assistant's worker: one job at a time, a waiting job of the same name is shared, a running one is
// queued again, urgent jobs go before the others, and a failure reaches both its caller and onError.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from '../../src/assistant/worker.js';

/** A job that runs until released, recording that it ran. */
function gate(log: string[], name: string): { run: () => Promise<string>; release: () => void } {
  let release!: () => void;
  const held = new Promise<void>((resolve) => { release = resolve; });
  return { run: async () => { log.push(name); await held; return name; }, release };
}

test('one job at a time in the order asked; a waiting job of the same name is shared, a running one is asked again', async () => {
  const log: string[] = [];
  const worker = new Worker(() => undefined);
  const first = gate(log, 'pull#1');
  const p1 = worker.request('pull', first.run);
  const c1 = worker.request('commit', () => { log.push('commit'); return Promise.resolve(1); });
  const p2 = worker.request('pull', () => { log.push('pull#2'); return Promise.resolve('pull#2'); });
  const p3 = worker.request('pull', () => { log.push('pull#3'); return Promise.resolve('pull#3'); });
  assert.equal(worker.busy, 'pull');
  first.release();
  assert.deepEqual(await Promise.all([p1, c1, p2, p3]), ['pull#1', 1, 'pull#2', 'pull#2']);
  assert.deepEqual(log, ['pull#1', 'commit', 'pull#2'], 'the third pull shared the waiting second one');
  await worker.close();
});

test('urgent jobs go before the others waiting, in their own order; a waiting job asked for again as urgent moves up', async () => {
  const log: string[] = [];
  const worker = new Worker(() => undefined);
  const running = gate(log, 'housekeeping');
  const done = [worker.request('housekeeping', running.run)];
  const job = (name: string) => () => { log.push(name); return Promise.resolve(name); };
  done.push(worker.request('settle', job('settle')));
  done.push(worker.request('push', job('push')));
  done.push(worker.request('commit', job('commit'), true));
  done.push(worker.request('pull', job('pull'), true));
  done.push(worker.request('push', job('push again'), true)); // the waiting push, now urgent
  running.release();
  await Promise.all(done);
  assert.deepEqual(log, ['housekeeping', 'commit', 'pull', 'push', 'settle']);
  await worker.close();
});

test('a failed job rejects its caller and is reported; the worker goes on; close refuses what did not start', async () => {
  const errors: string[] = [];
  const worker = new Worker((job, message) => errors.push(`${job}: ${message}`));
  await assert.rejects(worker.request('push', () => Promise.reject(new Error('the cloud said no'))), /the cloud said no/);
  assert.equal(await worker.request('commit', () => Promise.resolve('ok')), 'ok');
  assert.deepEqual(errors, ['push: the cloud said no']);
  const running = gate([], 'pull');
  const pulled = worker.request('pull', running.run);
  const waiting = worker.request('settle', () => Promise.resolve('never'));
  const closing = worker.close();
  await assert.rejects(waiting, /stopping/);
  running.release();
  await closing;
  assert.equal(await pulled, 'pull');
  await assert.rejects(worker.request('commit', () => Promise.resolve('late')), /stopping/);
});
