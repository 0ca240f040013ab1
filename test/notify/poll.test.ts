import assert from 'node:assert/strict';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_POLL, NoticeChannel, NotifierConfigError, parseNotifierSpec, pollCost } from '../../src/notify/index.js';
import type { ChangeNotice, Notifier } from '../../src/notify/index.js';
import { createPollNotifier, parsePollSpec } from '../../src/notify/transports/poll.js';
import type { ManifestProbe } from '../../src/notify/transports/poll.js';
import { DirectoryStore } from '../../src/remotes/store/index.js';
import type { Store } from '../../src/remotes/store/index.js';
import { tempDir } from '../helpers/tmp.js';
import { runNotifierConformance } from './notifier-conformance.js';
import { publish, storeProbe } from './store-probe.js';

/** Fast intervals, so that a case takes a fraction of a second. */
const FAST = { active: 100, activeFor: 2000, idle: 400 };

/** The push a poll notifier's announce stands for: the peer's manifest (here its seq) lands in the store. */
function pushing(store: Store, inner: Notifier): Notifier {
  return {
    description: inner.description,
    capabilities: inner.capabilities,
    start: (on, events) => inner.start(on, events),
    announce: async (n: ChangeNotice) => {
      await publish(store, n.peer, n.seq);
      await inner.announce(n);
    },
    activity: () => inner.activity?.(),
    close: () => inner.close(),
  };
}

runNotifierConformance('poll', async (t) => {
  const root = await tempDir(t);
  const dir = join(root, 'store');
  await mkdir(dir);
  const store = new DirectoryStore(dir);
  const failures = { count: 0 };
  return {
    make: (channel) => pushing(store, createPollNotifier(FAST, { channel, probe: storeProbe(store, failures) })),
    makeUnreachable: (channel) => {
      const file = join(root, 'not-a-directory');
      const broken = new DirectoryStore(file);
      return createPollNotifier(FAST, { channel, probe: async () => { await writeFile(file, ''); return storeProbe(broken)(); } });
    },
    publishRaw: () => Promise.reject(new Error('poll has no wire')),
    // The store goes away until a probe has failed on it, then comes back: poll must carry on.
    restart: async () => {
      const before = failures.count;
      await rename(dir, `${dir}.away`);
      while (failures.count === before) await new Promise((r) => setTimeout(r, 20));
      await rename(`${dir}.away`, dir);
    },
  };
}, {
  skip: {
    'forged, moved and malformed frames are dropped, and delivery goes on':
      'poll carries no frames: it reads the manifests, which cloudgit opens and checks (test/cloudgit/hostile.test.ts)',
  },
});

test('poll settings: defaults, durations, and every error named', () => {
  assert.deepEqual(parsePollSpec(''), DEFAULT_POLL);
  assert.deepEqual(parsePollSpec('active=500ms,idle=1min,active-for=30s'), { active: 500, idle: 60_000, activeFor: 30_000 });
  assert.equal(parseNotifierSpec('poll=off'), undefined);
  assert.equal(parseNotifierSpec('poll')?.transport, 'poll');
  const cases: [string, RegExp][] = [
    ['often=2s', /poll: unknown setting 'often'/],
    ['active=fast', /poll: active: expected a duration such as 2s or 500ms, got 'fast'/],
    ['idle=', /poll: idle: expected a duration/],
    ['active=50ms', /poll: active: 50 ms is too often/],
    ['active=10s,idle=5s', /poll: idle \(5000 ms\) must be at least active \(10000 ms\)/],
  ];
  for (const [value, message] of cases) assert.throws(() => parsePollSpec(value), (e: unknown) => e instanceof NotifierConfigError && message.test(e.message), value);
});

test('notifier settings: unknown transports and missing values are named', () => {
  assert.throws(() => parseNotifierSpec('carrier-pigeon=coo'), /notifier 'carrier-pigeon': unknown transport \(known: relay, mqtt, xmpp, poll\)/);
  assert.throws(() => parseNotifierSpec('relay'), /relay: needs a value, as in relay=ws:\/\/HOST:PORT/);
  assert.throws(() => parseNotifierSpec('mqtt='), /mqtt: needs a value/);
});

test('the poll interval backs off to the idle ceiling, and activity brings it back', async (t) => {
  // Mocked timers and clock, and jitter fixed at its middle: the intervals are exact, and no time passes.
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  t.mock.method(Math, 'random', () => 0.5);
  const probes: number[] = [];
  const probe: ManifestProbe = () => {
    probes.push(Date.now());
    return Promise.resolve([]);
  };
  const poll = createPollNotifier({ active: 100, activeFor: 300, idle: 800 }, { channel: new NoticeChannel(Buffer.alloc(32), 'u'), probe });
  t.after(() => poll.close());
  await poll.start(() => undefined);
  const advance = async (ms: number) => {
    for (let i = 0; i < ms / 10; i++) {
      t.mock.timers.tick(10);
      await new Promise((r) => setImmediate(r)); // a probe's promise chain settles and re-arms before the next tick
    }
  };
  await advance(3000);
  const gaps = probes.slice(1).map((p, i) => p - probes[i]!);
  // Every 100 ms while active (until 300 ms after start), then doubling to the 800 ms ceiling.
  assert.deepEqual(gaps.slice(0, 8), [100, 100, 100, 100, 200, 400, 800, 800]);
  const before = probes.length;
  const at = Date.now();
  assert.ok(poll.activity !== undefined, 'poll reacts to activity');
  poll.activity?.();
  await advance(200);
  assert.equal(probes[before]! - at, 100, 'activity brings the next probe to the active interval');
});

test('the cost estimate counts a LIST per probe and a GET per change at the stated S3 prices', () => {
  const idleOnly = pollCost(DEFAULT_POLL, 0);
  assert.equal(idleOnly.requestsPerMonth, 30 * 86_400 / 20);
  assert.equal(idleOnly.usdPerMonth, Math.round(30 * 86_400 / 20 * 0.005 / 1000 * 100) / 100);
  const busy = pollCost(DEFAULT_POLL, 50);
  assert.ok(busy.requestsPerMonth > idleOnly.requestsPerMonth);
  assert.match(busy.assumption, /\$0\.005 per 1,000 LIST/);
});
