import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  DirectoryStore, FaultyStore, LimitStore, RetryStore, StoreNotFoundError, StorePermanentError, StoreTransientError, wrapStore,
} from '../../../src/remotes/store/index.js';
import type { GetOptions, PutOptions, PutSource, Store } from '../../../src/remotes/store/index.js';
import { bytes } from '../../helpers/repo.js';
import { tempDir } from '../../helpers/tmp.js';
import { runStoreConformance } from '../store-conformance.js';

const fast = { baseDelayMs: 1, maxDelayMs: 10 };

runStoreConformance('wrapStore(DirectoryStore)', async (t) => wrapStore(new DirectoryStore(await tempDir(t))));
runStoreConformance('RetryStore(DirectoryStore)', async (t) => new RetryStore(new DirectoryStore(await tempDir(t)), fast));
runStoreConformance('LimitStore(DirectoryStore, 2)', async (t) => new LimitStore(new DirectoryStore(await tempDir(t)), 2));
runStoreConformance('wrapStore(DirectoryStore) with 20 % injected faults, delays and truncations', async (t) =>
  wrapStore(new DirectoryStore(await tempDir(t)), {
    faults: { seed: 12, errorRate: 0.2, delayRate: 0.1, maxDelayMs: 3, truncateRate: 0.2 },
    retry: { ...fast, attempts: 12 },
  }), {
  skip: {
    'a reader during a replace sees the old or the new bytes, never a mix':
      'a truncated get resumes by a ranged get of whatever object has the name by then; Store has no conditional get (If-Match) to refuse a replaced one',
  },
});

/** A Store over a directory whose operations a test can replace one by one. */
class HookedStore implements Store {
  readonly description = 'hooked';
  readonly capabilities;
  constructor(readonly inner: Store, private readonly hooks: Partial<Pick<Store, 'put' | 'get' | 'stat'>>) {
    this.capabilities = inner.capabilities;
  }
  put(name: string, source: PutSource, opts?: PutOptions) { return (this.hooks.put ?? this.inner.put.bind(this.inner))(name, source, opts); }
  get(name: string, opts?: GetOptions) { return (this.hooks.get ?? this.inner.get.bind(this.inner))(name, opts); }
  stat(name: string) { return (this.hooks.stat ?? this.inner.stat.bind(this.inner))(name); }
  delete(name: string) { return this.inner.delete(name); }
  list(prefix: string) { return this.inner.list(prefix); }
  flush() { return this.inner.flush(); }
  close() { return this.inner.close(); }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

test('retry gives up on a permanent error and on NotFound at once', async (t) => {
  let puts = 0;
  let gets = 0;
  const dir = new DirectoryStore(await tempDir(t));
  const store = new RetryStore(new HookedStore(dir, {
    put: () => { puts++; return Promise.reject(new StorePermanentError('hooked', 'access denied')); },
    get: (name, opts) => { gets++; return dir.get(name, opts); },
  }), fast);
  await assert.rejects(store.put('x', { bytes: bytes(1, 1) }), /access denied/);
  await assert.rejects(store.get('absent'), StoreNotFoundError);
  assert.deepEqual([puts, gets], [1, 1]);
});

test('retry gives up after the set number of attempts on transient errors, with the last error', async (t) => {
  let calls = 0;
  const store = new RetryStore(new HookedStore(new DirectoryStore(await tempDir(t)), {
    stat: () => Promise.reject(new StoreTransientError('hooked', `timeout ${++calls}`)),
  }), { ...fast, attempts: 4 });
  await assert.rejects(store.stat('x'), (err: Error) => err instanceof StoreTransientError && err.message.endsWith('timeout 4'));
  assert.equal(calls, 4);
});

test('a store whose operations used up their retries twice in a row gets one try per operation until one succeeds', async (t) => {
  let calls = 0;
  let down = true;
  const dir = new DirectoryStore(await tempDir(t));
  const store = new RetryStore(new HookedStore(dir, {
    stat: (name) => { calls++; return down ? Promise.reject(new StoreTransientError('hooked', 'connection refused')) : dir.stat(name); },
  }), { ...fast, attempts: 4 });
  const tries = async () => {
    const before = calls;
    await store.stat('x').catch(() => undefined);
    return calls - before;
  };
  assert.deepEqual([await tries(), await tries(), await tries(), await tries()], [4, 4, 1, 1], 'down after two exhausted operations');
  down = false;
  assert.equal(await tries(), 1, 'a success');
  down = true;
  assert.equal(await tries(), 4, 'retrying again after the success');
});

test('a retried put opens its source again', async (t) => {
  const dir = new DirectoryStore(await tempDir(t));
  let calls = 0;
  let opens = 0;
  const store = new RetryStore(new HookedStore(dir, {
    put: async (name, source, opts) => {
      await dir.put(name, source, opts);
      if (++calls < 3) throw new StoreTransientError('hooked', 'reply lost');
    },
  }), fast);
  const data = bytes(2, 100_000);
  await store.put('obj', { open: () => { opens++; return Readable.from([data]); } });
  assert.deepEqual([calls, opens], [3, 3]);
  assert.deepEqual(await readAll(await store.get('obj')), data);
});

test('a retried get that fails midway resumes from the bytes delivered, as one stream', async (t) => {
  const dir = new DirectoryStore(await tempDir(t));
  const data = bytes(3, 1_000_000);
  await dir.put('obj', { bytes: data });
  const asked: [number | undefined, number | undefined][] = [];
  const store = new RetryStore(new HookedStore(dir, {
    get: async (name, opts = {}) => {
      asked.push([opts.offset, opts.length]);
      const inner = await dir.get(name, opts);
      if (asked.length > 3) return inner;
      return Readable.from((async function* () {
        let sent = 0;
        for await (const c of inner as AsyncIterable<Buffer>) {
          const take = Math.min(c.length, 100_000 - sent);
          yield c.subarray(0, take);
          sent += take;
          if (sent === 100_000) break;
        }
        throw new StoreTransientError('hooked', 'connection reset');
      })(), { objectMode: false });
    },
  }), fast);
  assert.deepEqual(await readAll(await store.get('obj', { offset: 1000, length: 500_000 })), data.subarray(1000, 501_000));
  assert.deepEqual(asked, [[1000, 500_000], [101_000, 400_000], [201_000, 300_000], [301_000, 200_000]]);
});

test('abort stops retries', async (t) => {
  const ac = new AbortController();
  let calls = 0;
  const store = new RetryStore(new HookedStore(new DirectoryStore(await tempDir(t)), {
    put: () => {
      calls++;
      ac.abort();
      return Promise.reject(new StoreTransientError('hooked', 'throttled'));
    },
  }), { attempts: 3, baseDelayMs: 60_000, maxDelayMs: 60_000 });
  await assert.rejects(store.put('x', { bytes: bytes(4, 1) }, { signal: ac.signal }), { name: 'AbortError' });
  assert.equal(calls, 1);
});

test('limit never lets more than N operations run at once', async (t) => {
  const dir = new DirectoryStore(await tempDir(t));
  let inFlight = 0;
  let most = 0;
  const counted = async <T>(op: () => Promise<T>): Promise<T> => {
    most = Math.max(most, ++inFlight);
    try {
      for (let i = 0; i < 5; i++) await nextTurn();
      return await op();
    } finally {
      inFlight--;
    }
  };
  const store = new LimitStore(new HookedStore(dir, {
    put: (n, s, o) => counted(() => dir.put(n, s, o)),
    stat: (n) => counted(() => dir.stat(n)),
  }), 3);
  await Promise.all(Array.from({ length: 20 }, (_, i) => store.put(`o${i}`, { bytes: bytes(5 + i, 1000) })));
  await Promise.all(Array.from({ length: 20 }, (_, i) => store.stat(`o${i}`)));
  assert.equal(most, 3);
});

test("limit holds a get's slot until its stream is done", async (t) => {
  const dir = new DirectoryStore(await tempDir(t));
  await dir.put('obj', { bytes: bytes(30, 10_000) });
  const store = new LimitStore(dir, 2);
  const first = await store.get('obj');
  const second = await store.get('obj');
  let third: Readable | undefined;
  const pending = store.get('obj').then((s) => { third = s; });
  for (let i = 0; i < 20; i++) await nextTurn();
  assert.equal(third, undefined, 'a third get ran while two streams were open');
  assert.equal((await readAll(first)).length, 10_000);
  await pending;
  second.destroy();
  assert.equal((await readAll(third!)).length, 10_000);
  await store.stat('obj');
});

test('retry over injected faults still puts and gets every object intact, and the faults did happen', async (t) => {
  const faulty = new FaultyStore(new DirectoryStore(await tempDir(t)), { seed: 7, errorRate: 0.3, delayRate: 0.2, maxDelayMs: 2, truncateRate: 0.3 });
  const store = new RetryStore(new LimitStore(faulty, 8), { ...fast, attempts: 15 });
  const data = Array.from({ length: 40 }, (_, i) => bytes(40 + i, (i * 7919) % 300_000));
  await Promise.all(data.map((d, i) => store.put(`d/${i}`, { bytes: d })));
  await store.flush();
  for (const [i, d] of data.entries()) assert.deepEqual(await readAll(await store.get(`d/${i}`)), d, `object ${i}`);
  let listed = 0;
  for await (const _ of store.list('d/')) listed++;
  assert.equal(listed, data.length);
  assert.ok(faulty.injected.errors > 0 && faulty.injected.truncations > 0 && faulty.injected.delays > 0, JSON.stringify(faulty.injected));
});

test('injected corruption changes one byte silently, for the hash check above to catch', async (t) => {
  const dir = new DirectoryStore(await tempDir(t));
  const data = bytes(90, 50_000);
  await dir.put('obj', { bytes: data });
  const faulty = new FaultyStore(dir, { seed: 3, corruptRate: 1 });
  const got = await readAll(await faulty.get('obj'));
  assert.equal(got.length, data.length);
  assert.equal([...got].filter((b, i) => b !== data[i]).length, 1);
  assert.equal(faulty.injected.corruptions, 1);
  assert.deepEqual(await readAll(await dir.get('obj')), data, 'the stored object is untouched');
});
