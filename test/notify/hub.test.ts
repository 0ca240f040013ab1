// NoticeHub: notices from several notifiers become one stream of fetches — news only, one at a time,
// retried while the cloud does not show them yet. The notifiers are poll over a real directory store.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NoticeChannel, NoticeHub } from '../../src/notify/index.js';
import type { ChangeNotice } from '../../src/notify/index.js';
import { createPollNotifier } from '../../src/notify/transports/poll.js';
import { DirectoryStore } from '../../src/remotes/store/index.js';
import { tempDir } from '../helpers/tmp.js';
import { publish, storeProbe } from './store-probe.js';

const self = '5'.repeat(32);
const peerA = 'a'.repeat(32);
const peerB = 'b'.repeat(32);
const FAST = { active: 50, activeFor: 5000, idle: 200 };

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('the same notices through two notifiers fetch once per news; own notices and old ones never', async (t) => {
  const store = new DirectoryStore(await tempDir(t));
  const channel = new NoticeChannel(Buffer.alloc(32, 1), 'uuid-1');
  const seen = new Map<string, number>([[peerB, 4]]);
  const fetched: ChangeNotice[] = [];
  const hub = new NoticeHub([createPollNotifier(FAST, { channel, probe: storeProbe(store) }), createPollNotifier(FAST, { channel, probe: storeProbe(store) })], {
    self,
    seen: (p) => seen.get(p) ?? 0,
    fetch: (n) => {
      fetched.push(n);
      seen.set(n.peer, n.seq);
      return Promise.resolve();
    },
    minInterval: 0,
  });
  t.after(() => hub.close());
  await publish(store, self, 9); // this repository's own manifest: never a fetch
  await publish(store, peerB, 4); // already fetched here
  await publish(store, peerA, 1);
  await hub.start();
  await until(() => fetched.length >= 1, 'the fetch of a');
  await publish(store, peerA, 2);
  await publish(store, peerB, 5);
  await until(() => fetched.length >= 3, 'the fetches of a:2 and b:5');
  // Both notifiers saw every change; the hub fetched each news once.
  await publish(store, 'c'.repeat(32), 1);
  await until(() => fetched.some((n) => n.peer === 'c'.repeat(32)), 'the fetch of c');
  assert.deepEqual(fetched.map((n) => `${n.peer[0]}:${n.seq}`).sort(), ['a:1', 'a:2', 'b:5', 'c:1']);
});

test('a fetch that fails, or does not show the seq yet, is tried again', async (t) => {
  const store = new DirectoryStore(await tempDir(t));
  const channel = new NoticeChannel(Buffer.alloc(32, 2), 'uuid-2');
  let seen = 0;
  let calls = 0;
  const failures: boolean[] = [];
  const hub = new NoticeHub([createPollNotifier(FAST, { channel, probe: storeProbe(store) })], {
    self,
    seen: () => seen,
    fetch: () => {
      calls++;
      if (calls === 1) return Promise.reject(new Error('store unreachable'));
      if (calls === 3) seen = 7; // the second try finds the cloud still behind; the third brings seq 7
      return Promise.resolve();
    },
    minInterval: 0,
    events: { failed: (_n, _err, final) => failures.push(final) },
  });
  t.after(() => hub.close());
  await publish(store, peerA, 7);
  await hub.start();
  await until(() => seen === 7, 'the third fetch');
  assert.equal(calls, 3);
  assert.deepEqual(failures, [false, false]);
});

test('one notifier that cannot start leaves the others running; none at all is an error', async (t) => {
  const store = new DirectoryStore(await tempDir(t));
  const channel = new NoticeChannel(Buffer.alloc(32, 3), 'uuid-3');
  const broken = createPollNotifier(FAST, { channel, probe: () => Promise.reject(new Error('no such bucket')) });
  let fetched = 0;
  const hub = new NoticeHub([broken, createPollNotifier(FAST, { channel, probe: storeProbe(store) })], {
    self, seen: () => fetched, fetch: () => { fetched++; return Promise.resolve(); }, minInterval: 0,
  });
  t.after(() => hub.close());
  await publish(store, peerA, 1);
  await hub.start();
  await until(() => fetched === 1, 'a fetch through the working notifier');
  const alone = new NoticeHub([createPollNotifier(FAST, { channel, probe: () => Promise.reject(new Error('no such bucket')) })], {
    self, seen: () => 0, fetch: () => Promise.resolve(),
  });
  await assert.rejects(alone.start(), /poll: cannot read the cloud: no such bucket/);
  await alone.close();
});

test('a notice of what a running fetch is fetching costs nothing: poll reporting it meanwhile does not fetch again', async (t) => {
  const store = new DirectoryStore(await tempDir(t));
  const channel = new NoticeChannel(Buffer.alloc(32, 4), 'uuid-4');
  let seen = 0;
  const fetched: number[] = [];
  let release!: () => void;
  const held = new Promise<void>((resolve) => { release = resolve; });
  const probes: number[] = [];
  const probe = storeProbe(store);
  const hub = new NoticeHub([createPollNotifier(FAST, { channel, probe: async () => { probes.push(Date.now()); return probe(); } })], {
    self,
    seen: () => seen,
    fetch: async (n) => {
      fetched.push(n.seq);
      await held; // a slow fetch: poll keeps reporting seq 1 while it runs
      seen = n.seq;
    },
    minInterval: 0,
  });
  t.after(() => hub.close());
  await publish(store, peerA, 1);
  await hub.start();
  await until(() => fetched.length === 1, 'the fetch of a:1');
  const before = probes.length;
  await until(() => probes.length >= before + 5, 'five more polls while the fetch runs');
  release();
  await publish(store, peerA, 2);
  await until(() => fetched.length >= 2, 'the fetch of a:2');
  assert.deepEqual(fetched, [1, 2]);
});
