import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChangeAggregator, isDefaultIgnored } from '../../src/assistant/index.js';
import type { ChangeBatch, Timers } from '../../src/assistant/index.js';

/** A clock that moves only when the test says so, firing due timers in order. */
class FakeClock implements Timers {
  time = 0;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #next = 1;
  now = () => this.time;
  set = (fn: () => void, ms: number) => {
    const id = this.#next++;
    this.#timers.set(id, { at: this.time + ms, fn });
    return id;
  };
  clear = (h: unknown) => void this.#timers.delete(h as number);
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.#timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
    }
    this.time = end;
  }
}

function setup(opts: { rescanThreshold?: number } = {}) {
  const clock = new FakeClock();
  const out: { at: number; batch: ChangeBatch }[] = [];
  const agg = new ChangeAggregator((batch) => out.push({ at: clock.time, batch }), { timers: clock, ...opts });
  return { clock, out, agg };
}

test('a batch goes out once the tree has been quiet for 250 ms, each path once, sorted', () => {
  const { clock, out, agg } = setup();
  agg.add(['b.txt', 'a.txt']);
  clock.advance(200);
  agg.add(['a.txt', 'c.txt']);
  clock.advance(249);
  assert.equal(out.length, 0, 'the second event restarted the quiet delay');
  clock.advance(1);
  assert.deepEqual(out, [{ at: 450, batch: { paths: ['a.txt', 'b.txt', 'c.txt'], rescan: false, scan: false } }]);
  assert.equal(agg.pending, false);
  clock.advance(10_000);
  assert.equal(out.length, 1, 'nothing more without new events');
  agg.add([]);
  clock.advance(10_000);
  assert.equal(out.length, 1, 'an empty add when idle sends nothing');
});

test('writes that never pause still go out 2 s after the first event, then a new batch starts', () => {
  const { clock, out, agg } = setup();
  for (let t = 0; t < 5000; t += 100) {
    agg.add([`f${t}`]);
    clock.advance(100);
  }
  clock.advance(250);
  assert.deepEqual(out.map((o) => o.at), [2000, 4000, 5150]);
  assert.equal(out[0]!.batch.paths.length, 20, 'events at 0, 100, …, 1900 ms');
  assert.ok(out[0]!.batch.paths.includes('f1900'));
  assert.ok(out[1]!.batch.paths.includes('f2000'));
});

test('a burst past the threshold collapses to one rescan; the scan flag is carried', () => {
  const { clock, out, agg } = setup({ rescanThreshold: 100 });
  agg.add(Array.from({ length: 60 }, (_, i) => `a${i}`), true);
  agg.add(Array.from({ length: 60 }, (_, i) => `b${i}`));
  agg.add(['c']);
  clock.advance(250);
  assert.deepEqual(out.map((o) => o.batch), [{ paths: [], rescan: true, scan: true }]);
  agg.add(['d']);
  clock.advance(250);
  assert.deepEqual(out[1]!.batch, { paths: ['d'], rescan: false, scan: false }, 'the next batch is paths again');
  agg.rescan();
  agg.close();
  clock.advance(5000);
  assert.equal(out.length, 2, 'closed: what was pending is dropped');
});

test('the default ignore list: editor swap and temp files, partial downloads; ordinary names pass', () => {
  for (const p of ['.#notes.txt', 'd/notes.txt~', '.notes.txt.swp', 'd/.notes.txt.swx', '4913', 'd/4913', 'x.tmp',
    'film.mkv.part', 'big.iso.crdownload', 'a.zip.download', '.~lock.report.odt#', '#notes.txt#', '~$report.docx']) {
    assert.equal(isDefaultIgnored(p), true, p);
  }
  for (const p of ['notes.txt', 'd/4913.txt', 'swp', '.swp', 'tmp', 'part/x', 'download/y', '~', 'a~b', '.hidden']) {
    assert.equal(isDefaultIgnored(p), false, p);
  }
});
