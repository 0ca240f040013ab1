import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventBus, SelfWrites } from '../../src/assistant/index.js';
import type { AssistantEvent } from '../../src/assistant/index.js';

test('events are numbered in order, kept up to the capacity, and a reader that fell behind is told', () => {
  let clock = 1000;
  const bus = new EventBus({ capacity: 3, now: () => clock });
  assert.equal(bus.last, 0);
  assert.deepEqual(bus.since(0), { events: [], missed: false });
  const heard: AssistantEvent[] = [];
  const stop = bus.subscribe((e) => heard.push(e));
  for (let i = 0; i < 5; i++) {
    clock += 1;
    bus.publish({ type: 'changes-seen', paths: i, scan: false });
  }
  stop();
  bus.publish({ type: 'stopping', reason: 'test' });
  assert.deepEqual(heard.map((e) => [e.id, e.time]), [[1, 1001], [2, 1002], [3, 1003], [4, 1004], [5, 1005]]);
  assert.equal(bus.last, 6);
  assert.equal(bus.since(3).missed, false);
  assert.deepEqual(bus.since(3).events.map((e) => e.id), [4, 5, 6]);
  assert.deepEqual(bus.since(1).events.map((e) => e.id), [4, 5, 6]);
  assert.equal(bus.since(1).missed, true, 'events 2 and 3 are gone');
  assert.equal(bus.since(6).events.length, 0);
});

test("a path ferry is writing, or whose file is still what ferry left, is ferry's own; a later edit is not", () => {
  const writes = new SelfWrites();
  const left = { size: 10, mtimeMs: 5, ino: 7 };
  assert.equal(writes.isOwn('a.txt', left), false);
  const release = writes.begin('a.txt');
  assert.equal(writes.isOwn('a.txt', undefined), true, 'during the write');
  release(left);
  release({ size: 1, mtimeMs: 1, ino: 1 }); // a second call changes nothing
  assert.equal(writes.isOwn('a.txt', left), true, 'the late event of ferry\'s write');
  assert.equal(writes.isOwn('a.txt', { ...left, mtimeMs: 6 }), false, 'the user edited it');
  assert.equal(writes.isOwn('a.txt', left), false, 'and from then on every event is the user\'s');
  const failed = writes.begin('b.txt');
  failed(undefined);
  assert.equal(writes.isOwn('b.txt', undefined), false);
  const one = writes.begin('c.txt');
  const two = writes.begin('c.txt');
  one(left);
  assert.equal(writes.isOwn('c.txt', { size: 0, mtimeMs: 0, ino: 0 }), true, 'another write is still under way');
  two(left);
  assert.equal(writes.isOwn('c.txt', left), true);
});
